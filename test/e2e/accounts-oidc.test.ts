// OpenID Connect sign-in end to end: the SDK against the real worker (wrangler dev), which
// discovers, exchanges codes with and verifies ID tokens of a real provider (oidc-provider on a
// loopback port, test/e2e/oidc-provider.ts). The provider's login and consent pages are driven
// over HTTP, so each sign-in is the whole redirect flow a browser makes, minus the browser.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OidcStart } from "../../core/accounts/oidc";
import type { SessionTokens } from "../../core/rest/accounts";
import { accounts, type FlarebaseClient, FlarebaseError, memoryStorage } from "../../sdk/index";
import { clientFor, createTestProject, rejection, type TestProject } from "./helpers";
import { startTestProvider, type TestProvider } from "./oidc-provider";

/** The app's page the provider sends the browser back to (never served: the trip ends there). */
const REDIRECT = "http://127.0.0.1:5173/auth/callback";

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider({ redirectUrls: [REDIRECT] });
});
afterAll(() => provider?.close());
afterEach(() => provider.tamperIdTokens(null));

interface Note {
  owner: string;
  text: string;
}

/** A fresh project with the test provider as `corp`, and notes only their owner may touch. */
async function projectWithProvider(settings: { clientSecret?: string } = {}): Promise<TestProject> {
  const test = await createTestProject();
  await test.admin.oidcProviders(test.project.id).create({
    name: "corp",
    issuer: provider.issuer,
    client_id: provider.clientId,
    client_secret: settings.clientSecret ?? provider.clientSecret,
    redirect_urls: [REDIRECT],
  });
  await test.secretClient.request("PUT", "/v1/collections/notes/rules", {
    body: {
      read: "doc.owner == auth.id",
      create: "data.owner == auth.id",
      update: "doc.owner == auth.id",
      delete: "doc.owner == auth.id",
    },
  });
  return test;
}

async function flarebaseError(fn: () => Promise<unknown>): Promise<FlarebaseError> {
  const error = await rejection(fn);
  expect(error).toBeInstanceOf(FlarebaseError);
  return error as FlarebaseError;
}

/**
 * Signs in (or links, with `link`) through the SDK: the start sends the "browser" to the
 * provider, which signs `account` in and sends it back; the callback finishes there.
 */
async function viaSdk(client: FlarebaseClient, account: string, options: { link?: boolean } = {}) {
  let authorizationUrl = "";
  const navigate = (url: string) => {
    authorizationUrl = url;
  };
  if (options.link) await client.auth.linkOidc("corp", { redirectUrl: REDIRECT, navigate });
  else await client.auth.signInWithOidc("corp", { redirectUrl: REDIRECT, navigate });
  const back = await provider.signIn(authorizationUrl, account);
  return { authorizationUrl: new URL(authorizationUrl), back, session: await client.auth.handleOidcCallback(back) };
}

/** The two REST steps by hand, keeping what the SDK keeps to itself (the verifier). */
async function startByHand(client: FlarebaseClient, body: { redirect_url?: string; link?: boolean } = {}) {
  return client.request<OidcStart>("POST", "/v1/auth/oidc/corp/start", { body: { redirect_url: REDIRECT, ...body } });
}

function callbackByHand(client: FlarebaseClient, start: OidcStart, back: URL, overrides: Record<string, string> = {}) {
  return client.request<SessionTokens>("POST", "/v1/auth/oidc/corp/callback", {
    body: {
      state: back.searchParams.get("state"),
      code: back.searchParams.get("code"),
      code_verifier: start.code_verifier,
      ...overrides,
    },
  });
}

describe("OpenID Connect sign-in", () => {
  it("signs a new user in, whose access token works on documents; the same account signs the same user in again", async () => {
    const { project, publicClient } = await projectWithProvider();
    const account = accounts(publicClient, { storage: memoryStorage() });
    const { authorizationUrl, back, session } = await viaSdk(publicClient, "dana");
    // The authorization request: code flow, PKCE S256, state and nonce.
    expect(authorizationUrl.origin).toBe(provider.issuer);
    const query = Object.fromEntries(authorizationUrl.searchParams);
    expect(query).toMatchObject({
      response_type: "code",
      client_id: provider.clientId,
      redirect_uri: REDIRECT,
      code_challenge_method: "S256",
    });
    expect(query.scope?.split(" ")).toEqual(["openid", "email", "profile"]);
    expect(query.state).toBe(back.searchParams.get("state"));
    expect(query.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expect(session).not.toBeNull();
    const user = session?.user;
    expect(user).toMatchObject({ is_anonymous: false, display_name: "Test dana", email_verified: true });
    expect(user?.identities).toEqual([
      expect.objectContaining({ provider: "oidc:corp", subject: "dana", email: "dana@example.test" }),
    ]);

    // The client signed in, into its accounts session: its requests carry the new access token.
    expect(account.currentUser?.id).toBe(user?.id);
    const me = await publicClient.auth.me();
    expect(me).toMatchObject({ project_id: project.id, kind: "user", user_id: user?.id });
    const notes = publicClient.collection<Note>("notes");
    const note = await notes.create({ owner: user?.id as string, text: "hello" });
    expect((await notes.get(note.id)).data.text).toBe("hello");

    // Another browser, the same account at the provider: the same user, no second account.
    const again = await viaSdk(clientFor({ key: project.keys.public }), "dana");
    expect(again.session?.user.id).toBe(user?.id);
    const other = await viaSdk(clientFor({ key: project.keys.public }), "erik");
    expect(other.session?.user.id).not.toBe(user?.id);
  });

  it("links a guest: the same user id, who still owns their documents", async () => {
    const { project } = await projectWithProvider();
    const guest = clientFor({ key: project.keys.public });
    const guestAccount = accounts(guest, { storage: memoryStorage() });
    const guestId = (await guestAccount.signInAnonymously()).id;
    const notes = guest.collection<Note>("notes");
    const draft = await notes.create({ owner: guestId, text: "draft" });

    const { session } = await viaSdk(guest, "fay", { link: true });
    expect(session?.user).toMatchObject({ id: guestId, is_anonymous: false });
    expect(session?.user.identities.map((identity) => identity.provider)).toContain("oidc:corp");
    // The accounts session took the new one: same user, no longer a guest.
    expect(guestAccount.currentUser).toMatchObject({ id: guestId, is_anonymous: false });
    expect((await notes.get(draft.id)).data).toEqual({ owner: guestId, text: "draft" });

    // Signing in with that account later, anywhere, is that same user.
    const later = await viaSdk(clientFor({ key: project.keys.public }), "fay");
    expect(later.session?.user.id).toBe(guestId);
    const laterNotes = clientFor({ token: later.session?.access_token }).collection<Note>("notes");
    expect((await laterNotes.get(draft.id)).data.text).toBe("draft");
  });

  it("refuses to link an identity another user has: identity_conflict, not a second account", async () => {
    const { project } = await projectWithProvider();
    const owner = await viaSdk(clientFor({ key: project.keys.public }), "gus");
    const guest = clientFor({ key: project.keys.public });
    const anonymous = await accounts(guest, { storage: memoryStorage() }).signInAnonymously();

    const error = await flarebaseError(() => viaSdk(guest, "gus", { link: true }));
    expect(error).toMatchObject({ status: 409, code: "identity_conflict" });
    // The guest is still the guest; the account still signs its owner in.
    expect((await guest.auth.me()).user_id).toBe(anonymous.id);
    const again = await viaSdk(clientFor({ key: project.keys.public }), "gus");
    expect(again.session?.user.id).toBe(owner.session?.user.id);
  });

  it("takes a state once: a replayed callback is refused, by the SDK and by the server", async () => {
    const { project, publicClient } = await projectWithProvider();
    const { back } = await viaSdk(publicClient, "hal");
    // The SDK forgot the flow when it finished it.
    const replayed = await flarebaseError(() => clientFor({ key: project.keys.public }).auth.handleOidcCallback(back));
    expect(replayed).toMatchObject({ status: 0, code: "oidc_state_invalid", details: { reason: "unknown" } });

    // By hand, with the verifier: the server has marked the state used.
    const start = await startByHand(publicClient);
    const backAgain = await provider.signIn(start.authorization_url, "hal");
    await callbackByHand(publicClient, start, backAgain);
    expect(await flarebaseError(() => callbackByHand(publicClient, start, backAgain))).toMatchObject({
      status: 400,
      code: "oidc_state_invalid",
      details: { reason: "used" },
    });
  });

  it("finishes only with the verifier of the start, and a wrong one does not spoil the state", async () => {
    const { publicClient } = await projectWithProvider();
    const start = await startByHand(publicClient);
    const back = await provider.signIn(start.authorization_url, "ida");
    const stranger = await flarebaseError(() =>
      callbackByHand(publicClient, start, back, { code_verifier: "x".repeat(43) }),
    );
    expect(stranger).toMatchObject({
      status: 400,
      code: "oidc_state_invalid",
      details: { reason: "verifier_mismatch" },
    });
    const session = await callbackByHand(publicClient, start, back);
    expect(session.user.identities[0]).toMatchObject({ provider: "oidc:corp", subject: "ida" });
  });

  it("refuses ID tokens that are forged, misdirected, expired or for another sign-in", async () => {
    const { publicClient } = await projectWithProvider();
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      { reason: "nonce", tamper: { claims: (p: Record<string, unknown>) => ({ ...p, nonce: "another-sign-in" }) } },
      { reason: "signature", tamper: { foreignKey: true } },
      { reason: "audience", tamper: { claims: (p: Record<string, unknown>) => ({ ...p, aud: "another-client" }) } },
      { reason: "issuer", tamper: { claims: (p: Record<string, unknown>) => ({ ...p, iss: "https://evil.example" }) } },
      {
        reason: "expired",
        tamper: { claims: (p: Record<string, unknown>) => ({ ...p, iat: now - 7200, exp: now - 3600 }) },
      },
    ];
    for (const { reason, tamper } of cases) {
      provider.tamperIdTokens(tamper);
      const error = await flarebaseError(() => viaSdk(publicClient, "jo"));
      expect(error, reason).toMatchObject({ status: 401, code: "oidc_id_token_invalid", details: { reason } });
    }
    provider.tamperIdTokens(null);
    expect((await viaSdk(publicClient, "jo")).session?.user.identities[0]?.subject).toBe("jo");
  });

  it("reports a refused token exchange (a wrong client secret) as oidc_exchange_failed", async () => {
    const { publicClient } = await projectWithProvider({ clientSecret: "not-the-secret" });
    const error = await flarebaseError(() => viaSdk(publicClient, "kim"));
    expect(error).toMatchObject({
      status: 401,
      code: "oidc_exchange_failed",
      details: { provider_error: "invalid_client" },
    });
  });

  it("sends the client secret in the form to a provider that takes it only there (client_secret_post)", async () => {
    const postProvider = await startTestProvider({ redirectUrls: [REDIRECT], clientAuthMethod: "client_secret_post" });
    try {
      const { admin, project, publicClient } = await createTestProject();
      await admin.oidcProviders(project.id).create({
        name: "corp",
        issuer: postProvider.issuer,
        client_id: postProvider.clientId,
        client_secret: postProvider.clientSecret,
        redirect_urls: [REDIRECT],
      });
      const start = await startByHand(publicClient);
      const back = await postProvider.signIn(start.authorization_url, "lou");
      const session = await callbackByHand(publicClient, start, back);
      expect(session.user.identities[0]).toMatchObject({ provider: "oidc:corp", subject: "lou" });
    } finally {
      await postProvider.close();
    }
  });

  it("reports a sign-in the user cancelled at the provider as oidc_authorization_failed", async () => {
    const { publicClient } = await projectWithProvider();
    let authorizationUrl = "";
    await publicClient.auth.signInWithOidc("corp", {
      redirectUrl: REDIRECT,
      navigate: (url) => {
        authorizationUrl = url;
      },
    });
    const back = await provider.cancel(authorizationUrl);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(await flarebaseError(() => publicClient.auth.handleOidcCallback(back))).toMatchObject({
      status: 401,
      code: "oidc_authorization_failed",
      details: { provider_error: "access_denied" },
    });
  });

  it("refuses a redirect URL that is not the provider's, before leaving for the provider", async () => {
    const { publicClient } = await projectWithProvider();
    let navigated = false;
    const error = await flarebaseError(() =>
      publicClient.auth.signInWithOidc("corp", {
        redirectUrl: `${REDIRECT}?next=/admin`,
        navigate: () => {
          navigated = true;
        },
      }),
    );
    expect(error).toMatchObject({ status: 400, code: "redirect_url_not_allowed", details: { allowed: [REDIRECT] } });
    expect(navigated).toBe(false);
  });

  it("answers null for a page that is not a sign-in callback", async () => {
    const { publicClient } = await projectWithProvider();
    expect(await publicClient.auth.handleOidcCallback(`${REDIRECT}?tab=settings`)).toBeNull();
  });
});
