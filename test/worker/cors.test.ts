import { describe, expect, it } from "vitest";
import { api, createProject, errorOf } from "./helpers";

describe("CORS", () => {
  it("does not reflect an origin on the 403 of a project that does not allow it", async () => {
    const project = await createProject({ allowed_origins: ["https://good.example"] });
    const refused = await api("/v1/auth/me", {
      headers: { "X-API-Key": project.keys.public, Origin: "https://evil.example" },
    });
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(await errorOf(refused)).toMatchObject({ status: 403, code: "origin_not_allowed" });
    const allowed = await api("/v1/auth/me", {
      headers: { "X-API-Key": project.keys.public, Origin: "https://good.example" },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://good.example");
  });

  it("answers a preflight only for an origin some project allows", async () => {
    await createProject({ allowed_origins: ["https://good.example"] });
    const preflight = (origin: string) =>
      api("/v1/auth/me", {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "GET",
          "Access-Control-Request-Headers": "x-api-key",
        },
      });
    const good = await preflight("https://good.example");
    expect(good.headers.get("Access-Control-Allow-Origin")).toBe("https://good.example");
    expect(good.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("x-api-key");
    const evil = await preflight("https://evil.example");
    expect(evil.headers.get("Access-Control-Allow-Origin")).toBeNull();
    // A project open to every origin opens the preflight to every origin.
    await createProject({ allowed_origins: ["*"] });
    expect((await preflight("https://evil.example")).headers.get("Access-Control-Allow-Origin")).toBe(
      "https://evil.example",
    );
  });
});
