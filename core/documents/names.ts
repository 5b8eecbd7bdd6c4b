import { z } from "zod";

/**
 * Collection names: a letter, then letters, digits, `_` or `-`, at most 64 characters. They are
 * written into index DDL (which cannot bind parameters), so this pattern is also what keeps that
 * SQL safe: no quote, space or dot can ever get through.
 */
export const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * Document ids: 1 to 128 characters from `[A-Za-z0-9_-.@:]`, not starting with `.`, so an id is
 * always one clean URL path segment (never `.` or `..`).
 */
export const DOCUMENT_ID = /^[A-Za-z0-9_@:-][A-Za-z0-9_.@:-]{0,127}$/;

export const CollectionName = z
  .string()
  .regex(COLLECTION_NAME, "collection names start with a letter and use letters, digits, _ or - (at most 64)");

export const DocumentId = z
  .string()
  .regex(DOCUMENT_ID, "document ids use letters, digits, _ - . @ : (1 to 128, not starting with .)");

/** Path parameters of `/v1/collections/:collection`. */
export const CollectionParams = z.object({ collection: CollectionName });
/** Path parameters of `/v1/collections/:collection/documents/:id`. */
export const DocumentParams = CollectionParams.extend({ id: DocumentId });

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * A new document id: 10 characters of millisecond time then 10 random ones, 20 in all. Ids sort
 * by creation time, so the default order of a list (by id) is the order documents were created,
 * and new rows append to the end of the primary-key index instead of splitting pages at random.
 */
export function newDocumentId(now = Date.now()): string {
  let time = "";
  let rest = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  // 256 is a multiple of 32, so masking a byte keeps every character uniform.
  let random = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(10))) random += CROCKFORD[byte & 31];
  return time + random;
}
