import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /health", () => {
  it("answers without auth with status and version", async () => {
    const response = await exports.default.fetch("https://flarebase.test/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", version: "0.1.0", database: "ok" });
  });
});
