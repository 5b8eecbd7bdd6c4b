import { describe, expect, it } from "vitest";
import type { AccountUser, UserPage } from "../../core/rest/accounts";
import { asUser, GOOD_PASSWORD, publicPost, refresh, signIn, signInAnonymously, signUp } from "./accounts-helpers";
import { as, expectStatus } from "./documents-helpers";
import { adminHeaders, api, createProject, errorOf } from "./helpers";

const me = (token: string) => api("/v1/auth/me", { headers: { Authorization: `Bearer ${token}` } });

describe("user admin with the secret key", () => {
  it("lists users by login id, guests first, in pages, and by prefix", async () => {
    const project = await createProject();
    const secret = as(project.keys.secret);
    for (const login of ["carol@example.com", "alice@example.com", "bob@example.com"]) await signUp(project, login);
    const guest = await signInAnonymously(project);
    const first = await expectStatus<UserPage>(secret.get("/v1/auth/users?limit=2"), 200);
    expect(first.items.map((user) => user.login_id)).toEqual([null, "alice@example.com"]);
    expect(first.items[0]?.id).toBe(guest.user.id);
    const second = await expectStatus<UserPage>(
      secret.get(`/v1/auth/users?limit=2&cursor=${encodeURIComponent(first.next_cursor ?? "")}`),
      200,
    );
    expect(second.items.map((user) => user.login_id)).toEqual(["bob@example.com", "carol@example.com"]);
    expect(second.next_cursor).toBeNull();
    const prefixed = await expectStatus<UserPage>(secret.get("/v1/auth/users?login_id_prefix=B"), 200);
    expect(prefixed.items.map((user) => user.login_id)).toEqual(["bob@example.com"]);
    expect((await errorOf(await as(project.keys.public).get("/v1/auth/users"))).code).toBe("forbidden");
  });

  it("creates a user, and changes role and claims, which the next refresh's token carries", async () => {
    const project = await createProject();
    const secret = as(project.keys.secret);
    const created = await expectStatus<AccountUser>(
      secret.post("/v1/auth/users", { login_id: "made@example.com", password: GOOD_PASSWORD, role: "editor" }),
      201,
    );
    const session = await signIn(project, "made@example.com");
    expect(await (await me(session.access_token)).json()).toMatchObject({ user_id: created.id, role: "editor" });
    await expectStatus(secret.patch(`/v1/auth/users/${created.id}`, { role: "admin", claims: { team: "red" } }), 200);
    const refreshed = await expectStatus<{ access_token: string }>(refresh(project, session.refresh_token), 200);
    expect(await (await me(refreshed.access_token)).json()).toMatchObject({ role: "admin", claims: { team: "red" } });
    expect(await expectStatus<AccountUser>(secret.get(`/v1/auth/users/${created.id}`), 200)).toMatchObject({
      role: "admin",
      claims: { team: "red" },
    });
    expect((await errorOf(await secret.get("/v1/auth/users/u_nobody"))).code).toBe("not_found");
  });

  it("disables a user: sessions end at once, sign-in is refused; enabling lets it back", async () => {
    const project = await createProject();
    const secret = as(project.keys.secret);
    const { user, access_token, refresh_token } = await signUp(project, "off@example.com");
    await expectStatus(secret.patch(`/v1/auth/users/${user.id}`, { disabled: true }), 200);
    expect((await errorOf(await refresh(project, refresh_token))).code).toBe("invalid_refresh_token");
    expect((await errorOf(await asUser(access_token).get("/v1/auth/user"))).code).toBe("unauthorized");
    const refused = await publicPost(project, "/sign-in", { login_id: "off@example.com", password: GOOD_PASSWORD });
    expect(await errorOf(refused)).toMatchObject({ status: 403, code: "user_disabled" });
    // A wrong password does not learn the account is disabled.
    expect(
      (await errorOf(await publicPost(project, "/sign-in", { login_id: "off@example.com", password: "wrong-words" })))
        .code,
    ).toBe("invalid_credentials");
    // Documented: an access token already issued works elsewhere until it expires (no lookup per request).
    expect((await me(access_token)).status).toBe(200);
    await expectStatus(secret.patch(`/v1/auth/users/${user.id}`, { disabled: false }), 200);
    await signIn(project, "off@example.com");
  });

  it("deletes a user: its identity is free again, its sessions are gone", async () => {
    const project = await createProject();
    const secret = as(project.keys.secret);
    const { user, refresh_token, access_token } = await signUp(project, "gone@example.com");
    await expectStatus(secret.delete(`/v1/auth/users/${user.id}`), 204);
    expect((await errorOf(await secret.delete(`/v1/auth/users/${user.id}`))).code).toBe("not_found");
    expect((await errorOf(await refresh(project, refresh_token))).code).toBe("invalid_refresh_token");
    expect((await errorOf(await asUser(access_token).get("/v1/auth/user"))).code).toBe("unauthorized");
    expect(
      (await errorOf(await publicPost(project, "/sign-in", { login_id: "gone@example.com", password: GOOD_PASSWORD })))
        .code,
    ).toBe("invalid_credentials");
    expect((await signUp(project, "gone@example.com")).user.id).not.toBe(user.id);
  });
});

describe("user admin with the admin API", () => {
  it("lists, gets, changes and deletes a project's users; an unknown project is not found", async () => {
    const project = await createProject();
    const { user } = await signUp(project, "ops@example.com");
    const base = `/v1/admin/projects/${project.id}/users`;
    const page = await expectStatus<UserPage>(api(base, { headers: adminHeaders }), 200);
    expect(page.items.map((item) => item.id)).toEqual([user.id]);
    expect(
      await expectStatus<AccountUser>(
        api(`${base}/${user.id}`, { method: "PATCH", headers: adminHeaders, json: { role: "support" } }),
        200,
      ),
    ).toMatchObject({ role: "support" });
    await expectStatus(api(`${base}/${user.id}`, { method: "DELETE", headers: adminHeaders }), 204);
    expect((await errorOf(await api(`${base}/${user.id}`, { headers: adminHeaders }))).code).toBe("not_found");
    expect((await errorOf(await api("/v1/admin/projects/pnope/users", { headers: adminHeaders }))).code).toBe(
      "not_found",
    );
    expect((await errorOf(await api(base, { headers: { "X-API-Key": project.keys.secret } }))).code).toBe(
      "unauthorized",
    );
  });
});
