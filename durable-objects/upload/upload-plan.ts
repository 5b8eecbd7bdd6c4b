/**
 * The sizes a resumable upload is cut into. Clients send chunks of any size; R2 multipart parts
 * must all be the same size (at least 5 MiB) except the last, and at most 10,000 of them; a
 * Durable Object's SQLite rows stay under 2 MB. So bytes are kept as blocks of at most
 * {@link BLOCK_BYTES} until a whole part is there, and the part goes to R2 in one piece.
 */

export const MIB = 1024 * 1024;

/** R2's smallest part (all but the last). */
export const MIN_PART_BYTES = 5 * MIB;
/** R2's most parts per multipart upload. */
export const MAX_PARTS = 10_000;
/** R2's largest part. */
export const MAX_PART_BYTES = 5 * 1024 * MIB;

/** The largest row of kept bytes: well under the 2 MB row limit of a Durable Object's SQLite. */
export const BLOCK_BYTES = MIB;

/** The largest resumable upload (`Tus-Max-Size`): 10,000 parts of at most 512 MiB. */
export const MAX_UPLOAD_BYTES = MAX_PARTS * 512 * MIB;

/** An unfinished upload expires this long after its last received bytes (`Upload-Expires`). */
export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
/** A finished upload's record is kept this long, so a client that lost the last answer can ask. */
export const FINISHED_TTL_MS = 60 * 60 * 1000;

/**
 * The part size for a file of `length` bytes: 5 MiB, or the smallest whole number of MiB that
 * fits the file in 10,000 parts. Whole MiB keep part boundaries on block boundaries.
 */
export function partSizeFor(length: number): number {
  const needed = Math.ceil(length / MAX_PARTS / MIB) * MIB;
  return Math.max(MIN_PART_BYTES, needed);
}
