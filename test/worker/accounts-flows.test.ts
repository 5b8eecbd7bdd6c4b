import { describe, expect, it } from "vitest";
import {
  asUser,
  currentUser,
  GOOD_PASSWORD,
  publicPost,
  refresh,
  setAuthSettings,
  signIn,
  signInAnonymously,
  signUp,
} from "./accounts-helpers";
import { as, expectStatus } from "./documents-helpers";
import { createProject, errorOf } from "./helpers";

describe("sign-up and sign-in with a password", () => {
  it("signs up, signs in with the same login id in another case, and is the same user", async () => {
    const project = await createProject();
    const up = await signUp(project, "Ada@Example.com", GOOD_PASSWORD, {
      display_name: "Ada",
      profile: { theme: "dark" },
    });
    expect(up.user).toMatchObject({
      login_id: "ada@example.com",
      is_anonymous: false,
      display_name: "Ada",
      profile: { theme: "dark" },
      email_verified: false,
      disabled: false,
      identities: [{ provider: "password", subject: "ada@example.com", email: "ada@example.com" }],
    });
    expect(up.expires_in).toBe(900);
    const again = await signIn(project, "  ADA@example.com ");
    expect(again.user.id).toBe(up.user.id);
    expect(again.refresh_token).not.toBe(up.refresh_token);
    expect((await currentUser(again.access_token)).id).toBe(up.user.id);
  });

  it("answers a wrong password and an unknown login id alike", async () => {
    const project = await createProject();
    await signUp(project, "bob@example.com");
    const wrong = await errorOf(
      await publicPost(project, "/sign-in", { login_id: "bob@example.com", password: "nope-nope-nope" }),
    );
    const unknown = await errorOf(
      await publicPost(project, "/sign-in", { login_id: "eve@example.com", password: "nope-nope-nope" }),
    );
    const malformed = await errorOf(await publicPost(project, "/sign-in", { login_id: "not an email", password: "x" }));
    for (const answer of [wrong, unknown, malformed]) {
      expect(answer).toEqual({ status: 401, code: "invalid_credentials", message: "Wrong login id or password." });
    }
  });

  it("refuses a taken login id, a login id of the wrong kind, and weak passwords", async () => {
    const project = await createProject();
    await signUp(project, "carol@example.com");
    expect(
      await errorOf(await publicPost(project, "/sign-up", { login_id: "CAROL@example.com", password: GOOD_PASSWORD })),
    ).toMatchObject({
      status: 409,
      code: "identity_conflict",
    });
    expect(
      await errorOf(await publicPost(project, "/sign-up", { login_id: "carol", password: GOOD_PASSWORD })),
    ).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    const short = await errorOf(
      await publicPost(project, "/sign-up", { login_id: "d@example.com", password: "short1" }),
    );
    expect(short).toMatchObject({
      status: 400,
      code: "weak_password",
      details: { reason: "too_short", min_length: 10 },
    });
    const common = await errorOf(
      await publicPost(project, "/sign-up", { login_id: "d@example.com", password: "Password123" }),
    );
    expect(common).toMatchObject({ status: 400, code: "weak_password", details: { reason: "common" } });
  });

  it("follows the project's settings: user names, a longer minimum, sign-up closed", async () => {
    const project = await createProject();
    await setAuthSettings(project, { login_id: "username", password_min_length: 16 });
    expect(
      await errorOf(await publicPost(project, "/sign-up", { login_id: "grace", password: "fourteen-chars" })),
    ).toMatchObject({
      code: "weak_password",
      details: { min_length: 16 },
    });
    const up = await signUp(project, "Grace_H", "a-much-longer-passphrase");
    expect(up.user.login_id).toBe("grace_h");
    expect(up.user.identities[0]?.email).toBeNull();
    await setAuthSettings(project, { allow_sign_up: false, allow_anonymous: false });
    expect(
      (
        await errorOf(
          await publicPost(project, "/sign-up", { login_id: "other", password: "a-much-longer-passphrase" }),
        )
      ).code,
    ).toBe("forbidden");
    expect((await errorOf(await publicPost(project, "/anonymous", {}))).code).toBe("forbidden");
    // The app's server may still sign users up.
    await expectStatus(
      as(project.keys.secret).post("/v1/auth/sign-up", { login_id: "other", password: "a-much-longer-passphrase" }),
      201,
    );
  });
});

describe("guests", () => {
  it("signs in anonymously, links a password under the same user id, then signs in with it", async () => {
    const project = await createProject();
    const guest = await signInAnonymously(project);
    expect(guest.user).toMatchObject({ is_anonymous: true, login_id: null, identities: [] });
    const linked = await expectStatus<{ id: string; is_anonymous: boolean; login_id: string }>(
      asUser(guest.access_token).post("/v1/auth/link/password", {
        login_id: "guest@example.com",
        password: GOOD_PASSWORD,
      }),
      200,
    );
    expect(linked).toMatchObject({ id: guest.user.id, is_anonymous: false, login_id: "guest@example.com" });
    expect((await signIn(project, "guest@example.com")).user.id).toBe(guest.user.id);
    // The guest's session goes on after linking.
    expect((await expectStatus<{ user: { id: string } }>(refresh(project, guest.refresh_token), 200)).user.id).toBe(
      guest.user.id,
    );
    // A second password is a conflict; another user's login id is an identity conflict.
    expect(
      (
        await errorOf(
          await asUser(guest.access_token).post("/v1/auth/link/password", {
            login_id: "x@example.com",
            password: GOOD_PASSWORD,
          }),
        )
      ).code,
    ).toBe("conflict");
    const other = await signInAnonymously(project);
    expect(
      await errorOf(
        await asUser(other.access_token).post("/v1/auth/link/password", {
          login_id: "guest@example.com",
          password: GOOD_PASSWORD,
        }),
      ),
    ).toMatchObject({ status: 409, code: "identity_conflict" });
    expect((await currentUser(other.access_token)).is_anonymous).toBe(true);
  });
});

describe("the signed-in user", () => {
  it("updates its profile, and its own routes refuse keys and minted tokens", async () => {
    const project = await createProject();
    const { access_token } = await signUp(project);
    const updated = await expectStatus<{ display_name: string; profile: object }>(
      asUser(access_token).patch("/v1/auth/user", { display_name: "Ada L.", profile: { lang: "en" } }),
      200,
    );
    expect(updated).toMatchObject({ display_name: "Ada L.", profile: { lang: "en" } });
    expect((await errorOf(await as(project.keys.public).get("/v1/auth/user"))).code).toBe("forbidden");
  });

  it("lists its sessions, revokes one, and ends all", async () => {
    const project = await createProject();
    const first = await signUp(project, "s@example.com");
    const second = await signIn(project, "s@example.com");
    const list = await expectStatus<{ items: { id: string; current: boolean; device: string | null }[] }>(
      asUser(second.access_token).get("/v1/auth/sessions"),
      200,
    );
    expect(list.items).toHaveLength(2);
    expect(list.items.filter((session) => session.current)).toHaveLength(1);
    const other = list.items.find((session) => !session.current);
    await expectStatus(asUser(second.access_token).delete(`/v1/auth/sessions/${other?.id}`), 204);
    expect((await errorOf(await refresh(project, first.refresh_token))).code).toBe("invalid_refresh_token");
    // The revoked session's access token is refused at once where the session is checked.
    expect((await errorOf(await asUser(first.access_token).get("/v1/auth/user"))).code).toBe("unauthorized");
    expect((await errorOf(await asUser(second.access_token).delete(`/v1/auth/sessions/${other?.id}`))).code).toBe(
      "not_found",
    );
    await expectStatus(asUser(second.access_token).delete("/v1/auth/sessions"), 204);
    expect((await errorOf(await refresh(project, second.refresh_token))).code).toBe("invalid_refresh_token");
  });

  it("changes its password: the other sessions end, this one goes on", async () => {
    const project = await createProject();
    const here = await signUp(project, "p@example.com");
    const elsewhere = await signIn(project, "p@example.com");
    const wrong = await asUser(here.access_token).post("/v1/auth/password", {
      current_password: "not-the-password",
      new_password: "brand-new-passphrase",
    });
    expect((await errorOf(wrong)).code).toBe("invalid_credentials");
    await expectStatus(
      asUser(here.access_token).post("/v1/auth/password", {
        current_password: GOOD_PASSWORD,
        new_password: "brand-new-passphrase",
      }),
      200,
    );
    expect((await errorOf(await refresh(project, elsewhere.refresh_token))).code).toBe("invalid_refresh_token");
    await expectStatus(refresh(project, here.refresh_token), 200);
    expect(
      (await errorOf(await publicPost(project, "/sign-in", { login_id: "p@example.com", password: GOOD_PASSWORD })))
        .code,
    ).toBe("invalid_credentials");
    await signIn(project, "p@example.com", "brand-new-passphrase");
  });

  it("signs out: the refresh token stops working, and signing out again still answers 204", async () => {
    const project = await createProject();
    const { refresh_token } = await signUp(project);
    await expectStatus(publicPost(project, "/sign-out", { refresh_token }), 204);
    expect((await errorOf(await refresh(project, refresh_token))).code).toBe("invalid_refresh_token");
    await expectStatus(publicPost(project, "/sign-out", { refresh_token }), 204);
    await expectStatus(publicPost(project, "/sign-out", { refresh_token: "garbage" }), 204);
  });
});

describe("projects are apart", () => {
  it("keeps an account of A unknown to B and A's refresh token useless on B", async () => {
    const [a, b] = await Promise.all([createProject(), createProject()]);
    const onA = await signUp(a, "same@example.com");
    expect(
      (await errorOf(await publicPost(b, "/sign-in", { login_id: "same@example.com", password: GOOD_PASSWORD }))).code,
    ).toBe("invalid_credentials");
    expect((await errorOf(await refresh(b, onA.refresh_token))).code).toBe("invalid_refresh_token");
    // B may have its own user with the same login id.
    const onB = await signUp(b, "same@example.com");
    expect(onB.user.id).not.toBe(onA.user.id);
    // A's access token speaks for A only: B's user routes never see it as B's.
    expect((await currentUser(onA.access_token)).id).toBe(onA.user.id);
    await expectStatus(refresh(a, onA.refresh_token), 200);
  });
});
