import type { HistoryFrame } from "../../core/protocol/channel";
import { type DeliveredItem, historyPageFrame } from "../hub/frames";
import type { MessageLog } from "./message-log";

/** How many messages a `history` frame gets when it asks for no `limit`. */
export const DEFAULT_HISTORY_LIMIT = 100;

/**
 * The reply to a `history` frame: one page of the log, newest first. Channels and rooms page their
 * logs alike, so both answer with this (each checks first whether the caller may read history).
 */
export function historyReply<Item extends DeliveredItem>(log: MessageLog<Item>, frame: HistoryFrame): string {
  return historyPageFrame(frame.ref, log.before(frame.before_seq ?? null, frame.limit ?? DEFAULT_HISTORY_LIMIT));
}
