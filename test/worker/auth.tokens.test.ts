import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { adminHeaders, api, createProject, errorOf, mintToken, type TestProject } from "./helpers";

const me = (token: string) => api("/v1/auth/me", { headers: { Authorization: `Bearer ${token}` } });

/** The project's current signing key, read from D1 so a test can sign tokens like the server would. */
async function signingKeyOf(project: TestProject) {
  const row = await env.DB.prepare("SELECT kid, secret FROM signing_keys WHERE project_id = ?1 AND retired_at IS NULL")
    .bind(project.id)
    .first<{ kid: string; secret: string }>();
  if (!row) throw new Error("no signing key");
  return row;
}

async function signAs(
  key: { kid: string; secret: string },
  claims: { aud: string; sub?: string; exp?: number; iss?: string },
  alg = "HS256",
) {
  const jwt = new SignJWT({}).setProtectedHeader({ alg, kid: key.kid }).setIssuedAt().setAudience(claims.aud);
  if (claims.sub) jwt.setSubject(claims.sub);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  jwt.setIssuer(claims.iss ?? "flarebase");
  return jwt.sign(new TextEncoder().encode(key.secret));
}

const base64url = (value: object) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

describe("user tokens", () => {
  it("mints a token for a user that authenticates as that user", async () => {
    const project = await createProject();
    const { token, expires_at } = await mintToken(project, {
      user_id: "user-42",
      role: "editor",
      claims: { team: "blue", channels: ["chat:*"] },
      ttl_seconds: 600,
    });
    const expiresIn = Date.parse(expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(590_000);
    expect(expiresIn).toBeLessThanOrEqual(600_000);
    expect(await (await me(token)).json()).toEqual({
      project_id: project.id,
      kind: "user",
      user_id: "user-42",
      role: "editor",
      claims: { team: "blue", channels: ["chat:*"] },
    });
  });

  it("caps the TTL and rejects reserved claim names", async () => {
    const project = await createProject();
    const tooLong = await api("/v1/auth/token", {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret },
      json: { user_id: "u", ttl_seconds: 365 * 24 * 3600 },
    });
    expect(await errorOf(tooLong)).toMatchObject({ status: 400, code: "invalid_request" });
    const reserved = await api("/v1/auth/token", {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret },
      json: { user_id: "u", claims: { aud: "other" } },
    });
    expect(await errorOf(reserved)).toMatchObject({ status: 400, code: "invalid_request" });
  });

  it("rejects an expired token with token_expired", async () => {
    const project = await createProject();
    const token = await signAs(await signingKeyOf(project), {
      aud: project.id,
      sub: "u1",
      exp: Math.floor(Date.now() / 1000) - 10,
    });
    expect(await errorOf(await me(token))).toMatchObject({ status: 401, code: "token_expired" });
  });

  it("rejects a tampered payload", async () => {
    const project = await createProject();
    const { token } = await mintToken(project, { user_id: "alice" });
    const [header, , signature] = token.split(".");
    const forgedPayload = base64url({ sub: "admin", aud: project.id, iss: "flarebase", exp: 9999999999 });
    expect(await errorOf(await me(`${header}.${forgedPayload}.${signature}`))).toMatchObject({
      status: 401,
      code: "unauthorized",
    });
  });

  it('rejects alg "none" tokens', async () => {
    const project = await createProject();
    const { kid } = await signingKeyOf(project);
    const unsigned = `${base64url({ alg: "none", kid })}.${base64url({ sub: "u1", aud: project.id, iss: "flarebase", exp: 9999999999 })}.`;
    expect(await errorOf(await me(unsigned))).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("rejects a token signed by an unknown kid", async () => {
    const project = await createProject();
    const token = await signAs(
      { kid: "k-unknown", secret: "whatever" },
      { aud: project.id, sub: "u1", exp: Math.floor(Date.now() / 1000) + 60 },
    );
    expect(await errorOf(await me(token))).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("rejects a token without exp or sub", async () => {
    const project = await createProject();
    const key = await signingKeyOf(project);
    const noExp = await signAs(key, { aud: project.id, sub: "u1" });
    const noSub = await signAs(key, { aud: project.id, exp: Math.floor(Date.now() / 1000) + 60 });
    expect((await me(noExp)).status).toBe(401);
    expect((await me(noSub)).status).toBe(401);
  });

  it("never lets project A's key sign for project B", async () => {
    const a = await createProject();
    const b = await createProject();
    // Signed with A's key but claiming B as audience: the kid binds the token to A.
    const token = await signAs(await signingKeyOf(a), {
      aud: b.id,
      sub: "u1",
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    expect(await errorOf(await me(token))).toMatchObject({ status: 401, code: "unauthorized" });
    // And a genuine token of A resolves to A, never to B.
    const genuine = await mintToken(a);
    expect(await (await me(genuine.token)).json()).toMatchObject({ project_id: a.id });
  });

  it("keeps tokens of a rotated key valid until they expire, and signs new ones with the new key", async () => {
    const project = await createProject();
    const before = await mintToken(project, { user_id: "u1" });
    const oldKid = (await signingKeyOf(project)).kid;

    const rotated = await api(`/v1/admin/projects/${project.id}/signing-keys/rotate`, {
      method: "POST",
      headers: adminHeaders,
    });
    expect(rotated.status).toBe(200);
    const { kid: newKid } = (await rotated.json()) as { kid: string };
    expect(newKid).not.toBe(oldKid);

    const after = await mintToken(project, { user_id: "u2" });
    expect(JSON.parse(atob(after.token.split(".")[0] ?? ""))).toMatchObject({ kid: newKid, alg: "HS256" });
    expect((await me(before.token)).status).toBe(200);
    expect((await me(after.token)).status).toBe(200);

    // Once every token the old key could have signed has expired, the next rotation drops it.
    await env.DB.prepare("UPDATE signing_keys SET retired_at = '2000-01-01T00:00:00.000Z' WHERE kid = ?1")
      .bind(oldKid)
      .run();
    await api(`/v1/admin/projects/${project.id}/signing-keys/rotate`, { method: "POST", headers: adminHeaders });
    expect(await errorOf(await me(before.token))).toMatchObject({ status: 401, code: "unauthorized" });
    expect((await me(after.token)).status).toBe(200);
  });

  it("stops a deleted project's tokens", async () => {
    const project = await createProject();
    const { token } = await mintToken(project);
    await api(`/v1/admin/projects/${project.id}`, { method: "DELETE", headers: adminHeaders });
    expect((await me(token)).status).toBe(401);
  });
});
