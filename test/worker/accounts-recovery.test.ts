import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AccountUser, OneTimeToken, SessionTokens } from "../../core/rest/accounts";
import { GOOD_PASSWORD, publicPost, refresh, signIn, signInAnonymously, signUp } from "./accounts-helpers";
import { as, expectStatus } from "./documents-helpers";
import { createProject, errorOf } from "./helpers";

describe("password reset and email verification tokens", () => {
  it("resets a password once: sessions end, the old password stops working, the token is used up", async () => {
    const project = await createProject();
    const before = await signUp(project, "forgot@example.com");
    const issued = await expectStatus<OneTimeToken>(
      as(project.keys.secret).post("/v1/auth/one-time-tokens", {
        purpose: "password_reset",
        login_id: "Forgot@example.com",
      }),
      201,
    );
    expect(issued).toMatchObject({ purpose: "password_reset", user_id: before.user.id });
    expect(issued.token).toMatch(/^fot_/);
    // A refused password leaves the token usable.
    expect(
      (await errorOf(await publicPost(project, "/password-reset", { token: issued.token, new_password: "short" })))
        .code,
    ).toBe("weak_password");
    const after = await expectStatus<SessionTokens>(
      publicPost(project, "/password-reset", { token: issued.token, new_password: "a-fresh-passphrase" }),
      200,
    );
    expect(after.user.id).toBe(before.user.id);
    expect((await errorOf(await refresh(project, before.refresh_token))).code).toBe("invalid_refresh_token");
    expect(
      (
        await errorOf(
          await publicPost(project, "/sign-in", { login_id: "forgot@example.com", password: GOOD_PASSWORD }),
        )
      ).code,
    ).toBe("invalid_credentials");
    await signIn(project, "forgot@example.com", "a-fresh-passphrase");
    const again = await publicPost(project, "/password-reset", {
      token: issued.token,
      new_password: "another-passphrase",
    });
    expect(await errorOf(again)).toMatchObject({ status: 400, code: "invalid_one_time_token" });
  });

  it("verifies an email; an expired, unknown or other-purpose token is refused alike", async () => {
    const project = await createProject();
    const { user } = await signUp(project, "verify@example.com");
    const secret = as(project.keys.secret);
    const issue = async (purpose: string) =>
      expectStatus<OneTimeToken>(secret.post("/v1/auth/one-time-tokens", { purpose, user_id: user.id }), 201);
    const reset = await issue("password_reset");
    expect((await errorOf(await publicPost(project, "/verify-email", { token: reset.token }))).code).toBe(
      "invalid_one_time_token",
    );
    const verification = await issue("verify_email");
    const verified = await expectStatus<AccountUser>(
      publicPost(project, "/verify-email", { token: verification.token }),
      200,
    );
    expect(verified.email_verified).toBe(true);

    const stale = await issue("verify_email");
    await env.DB.prepare(
      "UPDATE one_time_tokens SET expires_at = ?1 WHERE project_id = ?2 AND used_at IS NULL AND purpose = 'verify_email'",
    )
      .bind(new Date(Date.now() - 1000).toISOString(), project.id)
      .run();
    expect((await errorOf(await publicPost(project, "/verify-email", { token: stale.token }))).code).toBe(
      "invalid_one_time_token",
    );
    expect((await errorOf(await publicPost(project, "/verify-email", { token: "fot_nope" }))).code).toBe(
      "invalid_one_time_token",
    );
  });

  it("a newer token replaces an unused older one; tokens of A do nothing on B", async () => {
    const [a, b] = await Promise.all([createProject(), createProject()]);
    const { user } = await signUp(a, "twice@example.com");
    const secret = as(a.keys.secret);
    const body = { purpose: "password_reset", user_id: user.id };
    const older = await expectStatus<OneTimeToken>(secret.post("/v1/auth/one-time-tokens", body), 201);
    const newer = await expectStatus<OneTimeToken>(secret.post("/v1/auth/one-time-tokens", body), 201);
    const reset = { new_password: "a-fresh-passphrase" };
    expect((await errorOf(await publicPost(a, "/password-reset", { token: older.token, ...reset }))).code).toBe(
      "invalid_one_time_token",
    );
    expect((await errorOf(await publicPost(b, "/password-reset", { token: newer.token, ...reset }))).code).toBe(
      "invalid_one_time_token",
    );
    await expectStatus(publicPost(a, "/password-reset", { token: newer.token, ...reset }), 200);
  });

  it("only the secret key issues tokens, for users that exist and have a login id", async () => {
    const project = await createProject();
    const guest = await signInAnonymously(project);
    const secret = as(project.keys.secret);
    expect(
      (
        await errorOf(
          await as(project.keys.public).post("/v1/auth/one-time-tokens", {
            purpose: "password_reset",
            login_id: "a@b.co",
          }),
        )
      ).code,
    ).toBe("forbidden");
    expect(
      (
        await errorOf(
          await secret.post("/v1/auth/one-time-tokens", { purpose: "password_reset", login_id: "nobody@example.com" }),
        )
      ).code,
    ).toBe("not_found");
    expect(
      (
        await errorOf(
          await secret.post("/v1/auth/one-time-tokens", { purpose: "password_reset", user_id: guest.user.id }),
        )
      ).code,
    ).toBe("conflict");
    expect((await errorOf(await secret.post("/v1/auth/one-time-tokens", { purpose: "password_reset" }))).code).toBe(
      "invalid_request",
    );
  });
});
