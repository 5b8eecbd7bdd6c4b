import { describe, expect, it } from "vitest";
import { LIMITS } from "../../worker/accounts/rate-limits";
import { GOOD_PASSWORD, publicPost, signUp } from "./accounts-helpers";
import { createProject, errorOf } from "./helpers";

// Each case makes dozens of requests (some hash a password): roomy timeouts for a busy machine.
const MANY_REQUESTS_MS = 60_000;

describe("brute-force limits", () => {
  it(
    "refuses sign-ins for one login id past its limit, even with the right password, with Retry-After",
    async () => {
      const project = await createProject();
      await signUp(project, "target@example.com");
      const { max, windowSeconds } = LIMITS.sign_in.perLoginId;
      for (let attempt = 0; attempt < max - 1; attempt++) {
        const wrong = await publicPost(project, "/sign-in", {
          login_id: "target@example.com",
          password: `guess-${attempt}`,
        });
        expect(wrong.status).toBe(401);
      }
      // The sign-up counted nothing here; this is attempt number `max`, the last allowed.
      expect(
        (await publicPost(project, "/sign-in", { login_id: "target@example.com", password: GOOD_PASSWORD })).status,
      ).toBe(200);
      const refused = await publicPost(project, "/sign-in", {
        login_id: "TARGET@example.com",
        password: GOOD_PASSWORD,
      });
      const retryAfter = Number(refused.headers.get("Retry-After"));
      const error = await errorOf(refused);
      expect(error).toMatchObject({ status: 429, code: "rate_limited" });
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
      expect((error.details as { retry_after_ms: number }).retry_after_ms).toBe(retryAfter * 1000);
      // Another login id of the project is not affected.
      expect(
        (await publicPost(project, "/sign-in", { login_id: "other@example.com", password: "whatever-words" })).status,
      ).toBe(401);
    },
    MANY_REQUESTS_MS,
  );

  it(
    "limits guests per client address, and each address separately",
    async () => {
      const project = await createProject();
      const from = (address: string) => publicPost(project, "/anonymous", {}, { "CF-Connecting-IP": address });
      for (let i = 0; i < LIMITS.anonymous.perAddress.max; i++) expect((await from("203.0.113.7")).status).toBe(201);
      expect((await errorOf(await from("203.0.113.7"))).code).toBe("rate_limited");
      expect((await from("198.51.100.9")).status).toBe(201);
    },
    MANY_REQUESTS_MS,
  );

  it(
    "counts per project: one project's attempts never limit another's",
    async () => {
      const [a, b] = await Promise.all([createProject(), createProject()]);
      for (let i = 0; i < LIMITS.sign_in.perLoginId.max; i++) {
        await publicPost(a, "/sign-in", { login_id: "shared@example.com", password: "wrong-words" });
      }
      expect(
        (await errorOf(await publicPost(a, "/sign-in", { login_id: "shared@example.com", password: "x" }))).code,
      ).toBe("rate_limited");
      expect(
        (await errorOf(await publicPost(b, "/sign-in", { login_id: "shared@example.com", password: "x" }))).code,
      ).toBe("invalid_credentials");
    },
    MANY_REQUESTS_MS,
  );
});
