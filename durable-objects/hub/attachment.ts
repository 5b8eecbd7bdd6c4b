/**
 * What a hibernatable socket remembers about its connection, stored with `serializeAttachment`.
 * The runtime keeps a copy that survives hibernation and eviction, so everything a connection
 * needs after a wake-up lives here, and nothing else: it is kept per socket in memory, which is
 * the budget "memory per idle connection" is about. Versioned so a deploy that changes the shape
 * can recognise (and close) sockets accepted by the previous code.
 */
export const ATTACHMENT_VERSION = 1;

/** This connection's presence, when it has entered: the data (serialized once) and when it was set. */
export interface PresenceState {
  /** `data`, serialized as JSON. */
  d: string;
  /** Enter or last update time, epoch ms. */
  t: number;
}

export interface Attachment {
  v: typeof ATTACHMENT_VERSION;
  /** Connection id (server-assigned, random). */
  cid: string;
  /** Client id: who the connection speaks as. */
  client: string;
  /** The token's user id, or null for a key. */
  user: string | null;
  kind: "public" | "secret" | "user";
  /** Capability bits (see capabilities.ts). */
  ops: number;
  /** Token expiry, epoch seconds; null for keys. */
  exp: number | null;
  /** Connected at, epoch ms. */
  at: number;
  pres: PresenceState | null;
}

const KINDS = new Set(["public", "secret", "user"]);

/**
 * Reads and shape-checks a socket's attachment; null when it is missing or not ours (a socket
 * accepted by older code with another version).
 */
export function readAttachment(ws: WebSocket): Attachment | null {
  let value: unknown;
  try {
    value = ws.deserializeAttachment();
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const a = value as Record<string, unknown>;
  const pres = a.pres as Record<string, unknown> | null | undefined;
  const ok =
    a.v === ATTACHMENT_VERSION &&
    typeof a.cid === "string" &&
    typeof a.client === "string" &&
    (a.user === null || typeof a.user === "string") &&
    KINDS.has(a.kind as string) &&
    typeof a.ops === "number" &&
    (a.exp === null || typeof a.exp === "number") &&
    typeof a.at === "number" &&
    (pres === null || (typeof pres === "object" && typeof pres.d === "string" && typeof pres.t === "number"));
  return ok ? (value as Attachment) : null;
}
