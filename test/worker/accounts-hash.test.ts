import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../core/errors";
import {
  configuredIterations,
  hashPassword,
  PBKDF2_PRODUCTION_CAP,
  parsePasswordHash,
  verifyPassword,
} from "../../worker/accounts/password-hash";
import { pepperOf } from "../../worker/accounts/pepper";
import { GOOD_PASSWORD, signIn, signUp } from "./accounts-helpers";
import { createProject } from "./helpers";

const storedHash = async (userId: string) =>
  (
    await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?1")
      .bind(userId)
      .first<{ password_hash: string }>()
  )?.password_hash as string;

describe("password hashes", () => {
  it("are stored in the versioned format at the configured cost, never the password", async () => {
    const project = await createProject();
    const { user } = await signUp(project, "hash@example.com");
    const stored = await storedHash(user.id);
    expect(stored).toMatch(/^\$pbkdf2-sha256\$v=1,i=100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(GOOD_PASSWORD);
    expect(parsePasswordHash(stored)).toEqual({ version: 1, iterations: configuredIterations(env) });
  });

  it("the configured cost stays within the 100,000 iterations deployed Workers allow", () => {
    // wrangler dev and these tests would run more; a deployed Worker refuses them at every sign-in.
    expect(configuredIterations(env)).toBeLessThanOrEqual(PBKDF2_PRODUCTION_CAP);
    expect(PBKDF2_PRODUCTION_CAP).toBe(100_000);
    expect(() => configuredIterations({ PASSWORD_HASH_ITERATIONS: "100001" })).toThrow(RangeError);
    expect(() => configuredIterations({ PASSWORD_HASH_ITERATIONS: "600000" })).toThrow(/wrangler dev/);
    expect(configuredIterations({})).toBe(PBKDF2_PRODUCTION_CAP);
  });

  it("refuses to hash above the cap, and a stored hash asking for more never matches", async () => {
    const pepper = pepperOf(env);
    await expect(hashPassword("x", pepper, PBKDF2_PRODUCTION_CAP + 1)).rejects.toThrow(RangeError);
    const valid = await hashPassword("secret words", pepper, 1000);
    const greedy = valid.replace("i=1000", "i=5000000");
    expect(await verifyPassword("secret words", greedy, pepper, 1000)).toEqual({ valid: false, needsRehash: false });
    expect(await verifyPassword("secret words", "not a hash", pepper, 1000)).toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  it("depends on the pepper and the salt", async () => {
    const pepper = pepperOf(env);
    const a = await hashPassword("same words", pepper, 1000);
    const b = await hashPassword("same words", pepper, 1000);
    expect(a).not.toBe(b);
    expect((await verifyPassword("same words", a, pepper, 1000)).valid).toBe(true);
    expect((await verifyPassword("same words", a, `${pepper}-other`, 1000)).valid).toBe(false);
    expect((await verifyPassword("other words", a, pepper, 1000)).valid).toBe(false);
  });

  it("is upgraded at the next sign-in when the cost changed", async () => {
    const project = await createProject();
    const { user } = await signUp(project, "old@example.com");
    const cheap = await hashPassword(GOOD_PASSWORD, pepperOf(env), 20_000);
    await env.DB.prepare("UPDATE users SET password_hash = ?1 WHERE id = ?2").bind(cheap, user.id).run();
    await signIn(project, "old@example.com");
    const upgraded = await storedHash(user.id);
    expect(parsePasswordHash(upgraded)?.iterations).toBe(configuredIterations(env));
    expect(upgraded).not.toBe(cheap);
    await signIn(project, "old@example.com");
  });

  it("needs AUTH_PEPPER: without it accounts answer not_configured", () => {
    expect(() => pepperOf({})).toThrow(ApiError);
    expect(() => pepperOf({ AUTH_PEPPER: "short" })).toThrow(/AUTH_PEPPER/);
  });
});
