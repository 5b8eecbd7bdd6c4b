import type { AuthValues } from "../../core/query";
import type { Attachment } from "../hub/attachment";
import type { AudienceRef } from "./watcher-subscriptions";

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
