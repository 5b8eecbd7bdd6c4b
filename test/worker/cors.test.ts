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
});
