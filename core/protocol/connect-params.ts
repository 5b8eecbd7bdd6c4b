import { z } from "zod";
import { USER_ID_PATTERN } from "./identifiers.js";

/**
 * The request header that carries {@link ConnectParams} from the Worker to a realtime object.
 * Objects are reachable only through their namespace binding, never from the internet, and the
 * Worker builds this request from scratch (it forwards no client header), so what arrives here
 * is the identity the Worker verified, not anything a client could set.
 */
export const CONNECT_HEADER = "X-Flarebase-Connect";

/** Who is connecting and what they may do, as verified by the Worker. */
export const ConnectParams = z.object({
  project_id: z.string().min(1),
  /** The object's public name (the channel name, for a channel). */
  name: z.string().min(1).max(255),
  /** A token's user id, or the self-asserted id of a key client (a user id too). */
  client_id: z.string().regex(USER_ID_PATTERN),
  user_id: z.string().nullable(),
  kind: z.enum(["public", "secret", "user"]),
  /** Capability bits on this object (see capabilities.ts). */
  ops: z.number().int().min(0),
  /** When the token expires (epoch seconds), so the object can close the socket then; null for keys. */
  token_exp: z.number().int().nullable(),
  /** Resume request: the last seq the client holds, and the epoch it was read in. */
  since_seq: z.number().int().min(0).nullable(),
  epoch: z.string().max(64).nullable(),
  /** Echo the protocol's subprotocol in the 101 (the client offered it). */
  subprotocol: z.boolean(),
  /** Parameters only one kind of object understands (a watcher's filter); that object validates them. */
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type ConnectParams = z.infer<typeof ConnectParams>;

/**
 * Builds the internal upgrade request the Worker sends to an object. The parameters are JSON,
 * percent-encoded: a header value is bytes, and ids may hold any character (a user id "日本").
 */
export function connectRequest(params: ConnectParams): Request {
  return new Request("https://realtime.internal/connect", {
    headers: { Upgrade: "websocket", [CONNECT_HEADER]: encodeURIComponent(JSON.stringify(params)) },
  });
}

/** The parameters {@link connectRequest} put in `header`, or null when they are missing or invalid. */
export function readConnectParams(header: string | null): ConnectParams | null {
  if (header === null) return null;
  try {
    const parsed = ConnectParams.safeParse(JSON.parse(decodeURIComponent(header)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
