import type { Context } from "hono";
import { decodeJwt } from "jose";
import { ApiError } from "../../core/errors";
import type { ConnectParams } from "../../core/protocol/connect-params";
import { SUBPROTOCOL, SUBPROTOCOL_KEY_PREFIX, SUBPROTOCOL_TOKEN_PREFIX } from "../../core/protocol/envelope";
import { CLIENT_ID_PATTERN } from "../../core/protocol/identifiers";
import { randomString } from "../../core/random";
import { batchChecked } from "../../data/d1/precondition";
import { refuseInternal, refuseSocket } from "../../durable-objects/hub/frames";
import type { AppEnv } from "../app-env";
import { type AuthContext, type Credentials, credentialsFromHeaders, identify } from "../auth/auth-context";

/** Who is connecting, verified, and the connect parameters every realtime object takes. */
export interface SocketCaller {
  auth: AuthContext;
  query: URLSearchParams;
  /** Filled in for this caller; the route adds the object's `name`, `ops` and anything specific. */
  params: Omit<ConnectParams, "name" | "ops" | "epoch" | "extra">;
}

/**
 * What one kind of realtime upgrade does around the common part. Both steps refuse the socket by
 * throwing an {@link ApiError}: its `error` frame is sent and the socket closed with its close code.
 */
export interface UpgradeSteps {
  /** Checks the path before anything else (a bad name is refused before credentials are looked at). */
  check(): void;
  /** What the upgrade reads from D1, in one batch with the caller's standing (one trip for both). */
  reads?(auth: AuthContext, db: D1Database): D1PreparedStatement[];
  /** Authorizes the caller and hands the socket to its object (`read`: the results of `reads`). */
  open(caller: SocketCaller, read: D1Result[]): Promise<Response>;
}

/**
 * The common part of every realtime upgrade: the Worker authenticates the socket, then the route
 * hands it to its object with the verified identity. Any refusal (bad name, bad credentials, not
 * allowed) still completes the upgrade, sends an `error` frame and closes with an application
 * code, because a browser cannot see why an upgrade failed.
 *
 * Credentials, in the order they are looked for:
 * 1. an offered subprotocol `flarebase.key.<key>` or `flarebase.token.<jwt>` next to `flarebase.v1`
 *    (what the SDK sends; browsers cannot set headers on a WebSocket, and unlike a query string a
 *    subprotocol does not end up in access logs);
 * 2. the `X-API-Key` or `Authorization: Bearer` headers (servers);
 * 3. query parameters `api_key` (public keys only) or `access_token`.
 * A secret key is refused in a query string, and from any browser (a request with an `Origin`).
 */
export async function upgradeSocket(c: Context<AppEnv>, steps: UpgradeSteps): Promise<Response> {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError("invalid_request", "This endpoint is a WebSocket: connect with Upgrade: websocket.", undefined, {
      status: 426,
    });
  }
  const offered = (c.req.header("Sec-WebSocket-Protocol") ?? "")
    .split(",")
    .map((protocol) => protocol.trim())
    .filter(Boolean);
  const subprotocol = offered.includes(SUBPROTOCOL);
  try {
    steps.check();
    const origin = c.req.header("Origin") ?? null;
    const query = new URL(c.req.url).searchParams;
    const { credentials, fromQuery } = socketCredentials(offered, c.req.raw.headers, query);
    if (credentials.apiKey?.startsWith("sk_") && (fromQuery || origin !== null)) {
      throw new ApiError(
        "secret_key_not_allowed",
        "Secret keys may not be used from a browser or in a URL. Use a public key (pk_…) or a user token.",
      );
    }
    const identified = await identify(c.env.DB, credentials, origin);
    const { auth } = identified;
    const reads = steps.reads?.(auth, c.env.DB) ?? [];
    // The standing (a revoked key, the origins) is checked in the same batch as the upgrade's reads.
    const read =
      identified.checked && reads.length === 0 ? [] : await batchChecked(c.env.DB, [identified.standing], reads);
    return await steps.open(
      {
        auth,
        query,
        params: {
          project_id: auth.projectId,
          client_id: clientIdFor(auth, query.get("client_id")),
          user_id: auth.userId,
          kind: auth.kind,
          token_exp: auth.kind === "user" && credentials.token ? tokenExpiry(credentials.token) : null,
          since_seq: sinceSeq(query.get("since_seq")),
          subprotocol,
        },
      },
      read,
    );
  } catch (error) {
    // Refusals (a bad name or parameter, bad credentials, not allowed) and what `authenticate`
    // throws (`unauthorized`, `token_expired`, `origin_not_allowed`) close with their code's close code.
    if (error instanceof ApiError) return refuseSocket(error, subprotocol);
    console.error("Realtime upgrade failed:", error);
    return refuseInternal("The connection could not be set up; retry later.", subprotocol);
  }
}

/** Finds the credentials of an upgrade (see {@link upgradeSocket} for the order). */
function socketCredentials(offered: string[], headers: Headers, query: URLSearchParams) {
  for (const protocol of offered) {
    if (protocol.startsWith(SUBPROTOCOL_KEY_PREFIX)) {
      return { credentials: { apiKey: protocol.slice(SUBPROTOCOL_KEY_PREFIX.length) }, fromQuery: false };
    }
    if (protocol.startsWith(SUBPROTOCOL_TOKEN_PREFIX)) {
      return { credentials: { token: protocol.slice(SUBPROTOCOL_TOKEN_PREFIX.length) }, fromQuery: false };
    }
  }
  const fromHeaders = credentialsFromHeaders(headers);
  if (fromHeaders.apiKey || fromHeaders.token) return { credentials: fromHeaders, fromQuery: false };
  const credentials: Credentials = {
    apiKey: query.get("api_key") ?? undefined,
    token: query.get("access_token") ?? undefined,
  };
  return { credentials, fromQuery: true };
}

/**
 * Who the connection speaks as. A user token speaks as its user, whatever the query says; a key
 * may name itself (`client_id`, self-asserted, for anonymous visitors and servers), or gets a
 * random anonymous id.
 */
function clientIdFor(auth: AuthContext, requested: string | null): string {
  if (auth.kind === "user" && auth.userId) return auth.userId;
  if (requested === null || requested === "") return auth.kind === "secret" ? "server" : `anon-${randomString(12)}`;
  if (!CLIENT_ID_PATTERN.test(requested)) {
    throw new ApiError("invalid_request", "client_id must be 1-128 characters of A-Z a-z 0-9 . _ : @ | + -");
  }
  return requested;
}

function sinceSeq(raw: string | null): number | null {
  if (raw === null || raw === "") return null;
  const value = Number(raw);
  if (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new ApiError("invalid_request", "since_seq must be a non-negative integer.");
  }
  return value;
}

/** The `epoch` query parameter of a resume: what a hello frame reported. */
export function epochParam(raw: string | null): string | null {
  if (raw === null || raw === "") return null;
  if (!/^[A-Za-z0-9]{1,64}$/.test(raw)) {
    throw new ApiError("invalid_request", "epoch must be the value a hello frame reported.");
  }
  return raw;
}

/** The token's `exp` (verified already by `authenticate`). */
function tokenExpiry(token: string): number | null {
  const { exp } = decodeJwt(token);
  return typeof exp === "number" ? exp : null;
}
