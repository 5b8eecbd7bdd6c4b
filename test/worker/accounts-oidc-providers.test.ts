import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { OidcProvider } from "../../core/accounts/oidc";
import { adminHeaders, api, createProject, errorOf, mintToken } from "./helpers";

const SECRET = "s3cret-client-secret-value";

const google = {
  name: "google",
  issuer: "https://accounts.google.com",
  client_id: "1234.apps.googleusercontent.com",
  client_secret: SECRET,
  redirect_urls: ["https://app.example/auth/callback", "http://localhost:5173/auth/callback"],
};

const secretKey = (key: string) => ({ "X-API-Key": key });

describe("OpenID Connect provider configurations", () => {
  it("create, list, get, update and delete with the secret key; the client secret never comes back", async () => {
    const project = await createProject();
    const key = secretKey(project.keys.secret);
    const created = await api("/v1/auth/oidc-providers", { method: "POST", headers: key, json: google });
    expect(created.status).toBe(201);
    const createdText = await created.text();
    expect(createdText).not.toContain(SECRET);
    expect(JSON.parse(createdText)).toMatchObject({
      name: "google",
      issuer: "https://accounts.google.com",
      client_id: google.client_id,
      scopes: ["openid", "email", "profile"],
      redirect_urls: google.redirect_urls,
    });

    const duplicate = await api("/v1/auth/oidc-providers", { method: "POST", headers: key, json: google });
    expect(await errorOf(duplicate)).toMatchObject({ status: 409, code: "conflict" });

    const patched = await api("/v1/auth/oidc-providers/google", {
      method: "PATCH",
      headers: key,
      json: { client_secret: "rotated-secret", scopes: ["email"], redirect_urls: ["https://app.example/cb"] },
    });
    expect(patched.status).toBe(200);
    const patchedText = await patched.text();
    expect(patchedText).not.toContain("rotated-secret");
    expect(JSON.parse(patchedText)).toMatchObject({
      issuer: google.issuer,
      client_id: google.client_id,
      scopes: ["openid", "email"],
      redirect_urls: ["https://app.example/cb"],
    });
    // The rotated secret is the one the token exchange will use.
    const stored = await env.DB.prepare("SELECT client_secret FROM oidc_providers WHERE project_id = ?1")
      .bind(project.id)
      .first<{ client_secret: string }>();
    expect(stored?.client_secret).toBe("rotated-secret");

    const list = await api("/v1/auth/oidc-providers", { headers: key });
    const listText = await list.text();
    expect(listText).not.toContain("secret");
    expect((JSON.parse(listText) as { items: OidcProvider[] }).items.map((p) => p.name)).toEqual(["google"]);
    const got = (await (await api("/v1/auth/oidc-providers/google", { headers: key })).json()) as OidcProvider;
    expect(got).not.toHaveProperty("client_secret");

    expect((await api("/v1/auth/oidc-providers/google", { method: "DELETE", headers: key })).status).toBe(204);
    expect(await errorOf(await api("/v1/auth/oidc-providers/google", { headers: key }))).toMatchObject({
      status: 404,
      code: "not_found",
      details: { provider: "google" },
    });
    expect(
      await errorOf(await api("/v1/auth/oidc-providers/google", { method: "DELETE", headers: key })),
    ).toMatchObject({ status: 404, code: "not_found" });
  });

  it("is refused to public keys and user tokens", async () => {
    const project = await createProject();
    const { token } = await mintToken(project);
    for (const headers of [secretKey(project.keys.public), { Authorization: `Bearer ${token}` }]) {
      const response = await api("/v1/auth/oidc-providers", { method: "POST", headers, json: google });
      expect(await errorOf(response)).toMatchObject({ status: 403, code: "forbidden" });
      expect((await api("/v1/auth/oidc-providers", { headers })).status).toBe(403);
    }
  });

  it("refuses issuers and redirect URLs that are not https (except loopback), names that are not names", async () => {
    const project = await createProject();
    const key = secretKey(project.keys.secret);
    const refused = [
      { ...google, issuer: "http://accounts.example" },
      { ...google, issuer: "ftp://accounts.example" },
      { ...google, issuer: "https://accounts.example/?tenant=1" },
      { ...google, issuer: "not a url" },
      { ...google, name: "Google" },
      { ...google, name: "" },
      { ...google, client_secret: "" },
      { ...google, redirect_urls: [] },
      { ...google, redirect_urls: ["https://app.example/cb#x"] },
      { ...google, redirect_urls: ["javascript:alert(1)"] },
      { ...google, scopes: ["has space"] },
    ];
    for (const body of refused) {
      const response = await api("/v1/auth/oidc-providers", { method: "POST", headers: key, json: body });
      expect(await errorOf(response), JSON.stringify(body)).toMatchObject({ status: 400, code: "invalid_request" });
    }
    for (const issuer of [
      "http://127.0.0.1:4000",
      "http://localhost:4000/realms/dev",
      "https://login.example/tenant/v2.0",
    ]) {
      const response = await api("/v1/auth/oidc-providers", {
        method: "POST",
        headers: key,
        json: { ...google, name: `p${issuer.length}`, issuer },
      });
      expect(response.status, issuer).toBe(201);
    }
  });

  it("belongs to one project: another project's secret key sees none of it", async () => {
    const [a, b] = await Promise.all([createProject(), createProject()]);
    await api("/v1/auth/oidc-providers", { method: "POST", headers: secretKey(a.keys.secret), json: google });
    const list = (await (await api("/v1/auth/oidc-providers", { headers: secretKey(b.keys.secret) })).json()) as {
      items: OidcProvider[];
    };
    expect(list.items).toEqual([]);
    const got = await api("/v1/auth/oidc-providers/google", { headers: secretKey(b.keys.secret) });
    expect(got.status).toBe(404);
  });

  it("is managed by the operator under /v1/admin/projects/:projectId/oidc-providers too", async () => {
    const project = await createProject();
    const path = `/v1/admin/projects/${project.id}/oidc-providers`;
    const created = await api(path, { method: "POST", headers: adminHeaders, json: google });
    expect(created.status).toBe(201);
    const seenByKey = (await (
      await api("/v1/auth/oidc-providers/google", { headers: secretKey(project.keys.secret) })
    ).json()) as OidcProvider;
    expect(seenByKey.client_id).toBe(google.client_id);
    const patched = await api(`${path}/google`, {
      method: "PATCH",
      headers: adminHeaders,
      json: { client_id: "other" },
    });
    expect(await patched.json()).toMatchObject({ client_id: "other" });
    // The operator's routes want the admin token, not a project's key.
    expect((await api(path, { headers: secretKey(project.keys.secret) })).status).toBe(401);
    expect((await api(`${path}/google`, { method: "DELETE", headers: adminHeaders })).status).toBe(204);

    const unknown = await api("/v1/admin/projects/pnope/oidc-providers", {
      method: "POST",
      headers: adminHeaders,
      json: google,
    });
    expect(await errorOf(unknown)).toMatchObject({ status: 404, code: "not_found" });
  });

  it("goes with its project", async () => {
    const project = await createProject();
    await api("/v1/auth/oidc-providers", { method: "POST", headers: secretKey(project.keys.secret), json: google });
    expect((await api(`/v1/admin/projects/${project.id}`, { method: "DELETE", headers: adminHeaders })).status).toBe(
      204,
    );
    const left = await env.DB.prepare("SELECT count(*) AS n FROM oidc_providers WHERE project_id = ?1")
      .bind(project.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});
