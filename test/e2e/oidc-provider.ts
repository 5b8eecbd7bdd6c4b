// A real OpenID Connect provider for the e2e tests: panva's oidc-provider (the certified Node
// implementation), on a free loopback port, with its own RS256 key, one confidential client and
// its development login and consent pages. `signIn` drives those pages over HTTP like a browser
// would (following redirects, keeping cookies), so a test signs in without a browser and ends
// where the provider sends the browser back to the app: the redirect URL with `code` and `state`.
// `tamperIdTokens` rewrites the ID tokens its token endpoint answers with, for the checks a
// forged or misdirected token must fail.
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { decodeJwt, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import Provider from "oidc-provider";
import { freePort } from "./global-setup";

/** Most requests one sign-in takes: authorize, login, resume, consent, resume, and a margin. */
const MAX_STEPS = 12;

export interface TestProviderOptions {
  /** The redirect URLs registered with the provider's client. */
  redirectUrls: string[];
  /**
   * How the client authenticates at the token endpoint, and the only method the provider offers
   * in its discovery document. Default `client_secret_basic`.
   */
  clientAuthMethod?: "client_secret_basic" | "client_secret_post";
}

/** How the token endpoint's ID token is rewritten: the payload to sign, and with which key. */
export interface IdTokenTamper {
  claims?(payload: JWTPayload): JWTPayload;
  /** Sign with a key the provider never published (a forged token). */
  foreignKey?: boolean;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * Follows `authorizationUrl` through the provider's login (as `accountId`, who has `email`
   * `<accountId>@example.test`) and consent, and returns the URL the provider sends the browser
   * back to (the app's redirect URL with `code` and `state`, or `error`).
   */
  signIn(authorizationUrl: string, accountId: string): Promise<URL>;
  /** Like `signIn`, but the user cancels at the login page: the redirect carries `error=access_denied`. */
  cancel(authorizationUrl: string): Promise<URL>;
  /** Rewrites the ID tokens the token endpoint answers with from now on; `null` stops. */
  tamperIdTokens(tamper: IdTokenTamper | null): void;
  close(): Promise<void>;
}

export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  const clientAuthMethod = options.clientAuthMethod ?? "client_secret_basic";
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = `app-${randomBytes(4).toString("hex")}`;
  const clientSecret = randomBytes(24).toString("base64url");
  const kid = `k-${randomBytes(4).toString("hex")}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const foreign = await generateKeyPair("RS256");
  let tamper: IdTokenTamper | null = null;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUrls,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: clientAuthMethod,
      },
    ],
    clientAuthMethods: [clientAuthMethod],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" }] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // The claims of the granted scopes go into the ID token too (not only to userinfo), as most
    // hosted providers do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    // Lifetimes of its artifacts, set so it does not warn about the defaults.
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        claims: () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: `Test ${id}` }),
      };
    },
  });

  // A post-middleware on the token endpoint: what a man in the middle (or a forger) would hand us.
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (!tamper || ctx.oidc?.route !== "token" || ctx.status !== 200 || !body?.id_token) return;
    const payload = tamper.claims ? tamper.claims(decodeJwt(body.id_token)) : decodeJwt(body.id_token);
    const id_token = await new SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", kid })
      .sign(tamper.foreignKey ? foreign.privateKey : privateKey);
    ctx.body = { ...body, id_token };
  });

  const server = await new Promise<Server>((resolve) => {
    const listening: Server = provider.listen(port, "127.0.0.1", () => resolve(listening));
  });

  return {
    issuer,
    clientId,
    clientSecret,
    signIn: (authorizationUrl, accountId) => drive(issuer, authorizationUrl, { login: accountId }),
    cancel: (authorizationUrl) => drive(issuer, authorizationUrl, { cancel: true }),
    tamperIdTokens(next) {
      tamper = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * Walks the provider's pages from the authorization URL: each redirect is followed by hand (to
 * keep cookies and to stop where the provider leaves for the app), each interaction page answered
 * with its form (login, then consent).
 */
async function drive(issuer: string, authorizationUrl: string, as: { login?: string; cancel?: boolean }): Promise<URL> {
  const jar = new CookieJar();
  let next: { url: URL; init?: RequestInit } = { url: new URL(authorizationUrl) };
  for (let step = 0; step < MAX_STEPS; step++) {
    if (next.url.origin !== issuer) return next.url;
    const response = await fetch(next.url, {
      ...next.init,
      redirect: "manual",
      headers: { ...(next.init?.headers as Record<string, string>), cookie: jar.header() },
      signal: AbortSignal.timeout(10_000),
    });
    jar.store(response.headers.getSetCookie());
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      next = { url: new URL(location, next.url) };
      continue;
    }
    const page = await response.text();
    const prompt = /name="prompt" value="(login|consent)"/.exec(page)?.[1];
    if (response.status !== 200 || !prompt) {
      throw new Error(`test provider: ${next.url} answered ${response.status} without a form: ${page.slice(0, 500)}`);
    }
    if (as.cancel) {
      next = { url: new URL(`${next.url.pathname}/abort`, issuer) };
      continue;
    }
    const form: Record<string, string> =
      prompt === "login" ? { prompt, login: as.login ?? "user", password: "any" } : { prompt };
    next = {
      url: next.url,
      init: {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form).toString(),
      },
    };
  }
  throw new Error(`test provider: no redirect back to the app after ${MAX_STEPS} requests`);
}

/** The cookies of one browser session: name → value, whatever their path (one flow at a time). */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(setCookies: string[]) {
    for (const line of setCookies) {
      const [pair = "", ...attributes] = line.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some(
        (attribute) => /^\s*expires=/i.test(attribute) && Date.parse(attribute.split("=")[1] ?? "") < Date.now(),
      );
      if (value === "" || expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}
