import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../core/errors";
import { findUserByIdentity, linkIdentity } from "../../data/accounts/identities";
import { pruneAccounts } from "../../data/accounts/prune";
import { createUser } from "../../data/accounts/users";
import { REFRESH_GRACE_SECONDS, refreshSession, startSession } from "../../worker/accounts/sessions";
import { api, createProject } from "./helpers";

const me = (token: string) => api("/v1/auth/me", { headers: { Authorization: `Bearer ${token}` } });

/** Rewinds a session's last rotation, as if the grace window had passed. */
async function expireGrace(sessionId: string) {
  const past = new Date(Date.now() - (REFRESH_GRACE_SECONDS + 1) * 1000).toISOString();
  await env.DB.prepare("UPDATE sessions SET rotated_at = ?1 WHERE id = ?2").bind(past, sessionId).run();
}

const sessionIdOf = (refreshToken: string) => refreshToken.split("_")[1] as string;

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("users and identities (data/accounts)", () => {
  it("creates a user with an identity, finds it by that identity, and refuses the identity to a second user", async () => {
    const project = await createProject();
    const user = await createUser(
      env.DB,
      project.id,
      { displayName: "Ada", role: "member" },
      { provider: "oidc:test", subject: "sub-1" },
    );
    expect(user).toMatchObject({ is_anonymous: false, display_name: "Ada", role: "member", login_id: null });
    expect(user.identities).toMatchObject([{ provider: "oidc:test", subject: "sub-1" }]);
    expect((await findUserByIdentity(env.DB, project.id, "oidc:test", "sub-1"))?.id).toBe(user.id);
    expect(await findUserByIdentity(env.DB, project.id, "oidc:test", "sub-2")).toBeNull();

    const conflict = await rejection(createUser(env.DB, project.id, {}, { provider: "oidc:test", subject: "sub-1" }));
    expect(conflict.code).toBe("identity_conflict");
  });

  it("links an identity to a guest under the same user id, and refuses one that belongs to someone else", async () => {
    const project = await createProject();
    const guest = await createUser(env.DB, project.id, { isAnonymous: true }, null);
    const other = await createUser(env.DB, project.id, {}, { provider: "oidc:test", subject: "taken" });
    const linked = await linkIdentity(env.DB, project.id, guest.id, { provider: "oidc:test", subject: "mine" });
    expect(linked).toMatchObject({ id: guest.id, is_anonymous: false });
    expect((await findUserByIdentity(env.DB, project.id, "oidc:test", "mine"))?.id).toBe(guest.id);
    // Linking what it already has is a no-op; another user's identity is a conflict.
    expect((await linkIdentity(env.DB, project.id, guest.id, { provider: "oidc:test", subject: "mine" })).id).toBe(
      guest.id,
    );
    const conflict = await rejection(
      linkIdentity(env.DB, project.id, guest.id, { provider: "oidc:test", subject: "taken" }),
    );
    expect(conflict.code).toBe("identity_conflict");
    expect((await findUserByIdentity(env.DB, project.id, "oidc:test", "taken"))?.id).toBe(other.id);
    expect(
      (await rejection(linkIdentity(env.DB, project.id, "u_nobody", { provider: "oidc:x", subject: "y" }))).code,
    ).toBe("not_found");
  });

  it("keeps the identities of one project unknown to another", async () => {
    const [a, b] = await Promise.all([createProject(), createProject()]);
    await createUser(env.DB, a.id, {}, { provider: "oidc:test", subject: "same" });
    expect(await findUserByIdentity(env.DB, b.id, "oidc:test", "same")).toBeNull();
    // The same identity may exist once per project.
    await createUser(env.DB, b.id, {}, { provider: "oidc:test", subject: "same" });
  });
});

describe("sessions (worker/accounts/sessions.ts)", () => {
  it("starts a session whose access token is the project's JWT for the user, role and claims", async () => {
    const project = await createProject();
    const user = await createUser(env.DB, project.id, { role: "editor", claims: { team: "blue" } }, null);
    const answer = await startSession(env, project.id, user.id, { device: "test-agent" });
    expect(answer.expires_in).toBe(900);
    expect(answer.user).toMatchObject({ id: user.id, role: "editor" });
    expect(answer.user.last_sign_in_at).not.toBeNull();
    expect(answer.refresh_token).toMatch(/^frt_/);
    expect(await (await me(answer.access_token)).json()).toEqual({
      project_id: project.id,
      kind: "user",
      user_id: user.id,
      role: "editor",
      claims: { team: "blue" },
    });
  });

  it("rotates the refresh token on each refresh", async () => {
    const project = await createProject();
    const user = await createUser(env.DB, project.id, {}, null);
    const first = await startSession(env, project.id, user.id);
    const second = await refreshSession(env, project.id, first.refresh_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(sessionIdOf(second.refresh_token)).toBe(sessionIdOf(first.refresh_token));
    expect((await me(second.access_token)).status).toBe(200);
    const third = await refreshSession(env, project.id, second.refresh_token);
    expect(third.user.id).toBe(user.id);
  });

  it("accepts the previous token within the grace window (a lost answer retried)", async () => {
    const project = await createProject();
    const user = await createUser(env.DB, project.id, {}, null);
    const first = await startSession(env, project.id, user.id);
    const second = await refreshSession(env, project.id, first.refresh_token);
    const retried = await refreshSession(env, project.id, first.refresh_token);
    // Both descendants work: the retry got the newest, the other is now the previous one.
    expect((await refreshSession(env, project.id, second.refresh_token)).user.id).toBe(user.id);
    expect(retried.user.id).toBe(user.id);
  });

  it("ends the whole session when an old refresh token is reused after the grace window", async () => {
    const project = await createProject();
    const user = await createUser(env.DB, project.id, {}, null);
    const first = await startSession(env, project.id, user.id);
    const second = await refreshSession(env, project.id, first.refresh_token);
    await expireGrace(sessionIdOf(first.refresh_token));
    expect((await rejection(refreshSession(env, project.id, first.refresh_token))).code).toBe("invalid_refresh_token");
    // The thief's replay revoked the family: the legitimate holder's newest token is dead too.
    expect((await rejection(refreshSession(env, project.id, second.refresh_token))).code).toBe("invalid_refresh_token");
    const row = await env.DB.prepare("SELECT revoked_reason FROM sessions WHERE id = ?1")
      .bind(sessionIdOf(first.refresh_token))
      .first<{ revoked_reason: string }>();
    expect(row?.revoked_reason).toBe("reuse");
  });

  it("refuses a forged, malformed or other project's refresh token without ending the session", async () => {
    const [a, b] = await Promise.all([createProject(), createProject()]);
    const user = await createUser(env.DB, a.id, {}, null);
    const { refresh_token } = await startSession(env, a.id, user.id);
    const forged = `${refresh_token.slice(0, -4)}AAAA`;
    for (const [project, token] of [
      [a.id, forged],
      [a.id, "frt_nope"],
      [a.id, ""],
      [b.id, refresh_token],
    ] as const) {
      expect((await rejection(refreshSession(env, project, token))).code).toBe("invalid_refresh_token");
    }
    expect((await refreshSession(env, a.id, refresh_token)).user.id).toBe(user.id);
  });

  it("refuses to start a session for a disabled or unknown user", async () => {
    const project = await createProject();
    const user = await createUser(env.DB, project.id, {}, null);
    await env.DB.prepare("UPDATE users SET disabled_at = ?1 WHERE id = ?2")
      .bind(new Date().toISOString(), user.id)
      .run();
    expect((await rejection(startSession(env, project.id, user.id))).code).toBe("user_disabled");
    expect((await rejection(startSession(env, project.id, "u_unknown"))).code).toBe("not_found");
  });
});

describe("housekeeping (data/accounts/prune.ts)", () => {
  it("drops ended sessions and old rate-limit windows after their retention, and keeps live ones", async () => {
    const project = await createProject();
    const user = await createUser(env.DB, project.id, {}, null);
    const live = await startSession(env, project.id, user.id);
    const ended = await startSession(env, project.id, user.id);
    const longAgo = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await env.DB.prepare("UPDATE sessions SET revoked_at = ?1 WHERE id = ?2")
      .bind(longAgo, sessionIdOf(ended.refresh_token))
      .run();
    await env.DB.prepare("INSERT INTO auth_rate_limits (key, window_start, count) VALUES (?1, 0, 1)")
      .bind(`${project.id}:old`)
      .run();
    await pruneAccounts(env.DB);
    const ids = await env.DB.prepare("SELECT id FROM sessions WHERE user_id = ?1").bind(user.id).all<{ id: string }>();
    expect(ids.results.map((row) => row.id)).toEqual([sessionIdOf(live.refresh_token)]);
    expect(
      await env.DB.prepare("SELECT 1 FROM auth_rate_limits WHERE key = ?1").bind(`${project.id}:old`).first(),
    ).toBeNull();
  });
});
