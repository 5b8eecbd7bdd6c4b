import { z } from "zod";
import type { AuthValues } from "../worker/query";
import { MAX_FILTER_LENGTH } from "../worker/query";
import type { Attachment } from "./attachment";
import { MAX_SNAPSHOT_LIMIT } from "./watcher-protocol";
import type { AudienceRef } from "./watcher-subscriptions";

/** Largest serialized token claims a watcher keeps per connection (they live in the attachment). */
export const MAX_WATCH_CLAIMS_BYTES = 4096;

/**
 * What the Worker tells a watcher about a new connection, beyond the common connect parameters
 * (in `ConnectParams.extra`): the filter it parsed, the token's role and claims for the rules, and
 * whether to start with a snapshot.
 */
export const WatchConnect = z.object({
  /** The filter, normalized by `formatFilter`; null for every document. */
  filter: z
    .string()
    .max(MAX_FILTER_LENGTH * 4)
    .nullable(),
  role: z.string().max(256).nullable(),
  claims: z.record(z.string(), z.unknown()),
  snapshot: z.boolean(),
  snapshot_limit: z.number().int().min(1).max(MAX_SNAPSHOT_LIMIT),
});
export type WatchConnect = z.infer<typeof WatchConnect>;

/**
 * The watcher's part of a connection's attachment (`w`): the subscription, so that a wake-up
 * rebuilds it without asking anyone. Short keys: every byte is kept per idle connection.
 */
export interface WatchState {
  /** The normalized filter text, or null. */
  f: string | null;
  /** The token's role (rules read `auth.role`). */
  r: string | null;
  /** The token's claims (rules read `auth.claims.*`). */
  c: Record<string, unknown>;
  /**
   * 1 while the connection follows the live stream, at the watcher's delivered sequence. A
   * connection found with 0 after a wake-up was in the middle of something (a snapshot, a
   * catch-up) whose progress died with the object's memory: it is asked to reconnect and resume.
   */
  l: 0 | 1;
}

export type WatcherAttachment = Attachment & { w: WatchState };

/** The watch state of an attachment, or null when it has none (or a malformed one). */
export function watchStateOf(attachment: Attachment): WatchState | null {
  const w = (attachment as Partial<WatcherAttachment>).w;
  if (typeof w !== "object" || w === null) return null;
  const ok =
    (w.f === null || typeof w.f === "string") &&
    (w.r === null || typeof w.r === "string") &&
    typeof w.c === "object" &&
    w.c !== null &&
    (w.l === 0 || w.l === 1);
  return ok ? w : null;
}

/** Who a connection is for the rules: `auth.id`, `auth.role`, `auth.kind`, `auth.claims`. */
export function audienceOf(attachment: Attachment, state: WatchState): AudienceRef {
  const auth: AuthValues = { id: attachment.user, role: state.r, kind: attachment.kind, claims: state.c };
  if (attachment.kind === "secret") return { key: "*", auth, bypass: true };
  return { key: JSON.stringify([auth.id, auth.role, auth.kind, auth.claims]), auth, bypass: false };
}
