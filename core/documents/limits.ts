/**
 * Limits of the documents API, in one place so the docs, the errors and the tests agree. They
 * keep every statement inside D1's limits (2 MB per row, 100 bound parameters per statement) and
 * every response small enough to stream to a phone.
 */

/** Largest document, as UTF-8 JSON. The outbox stores old and new data in one row, so twice
 * this must stay well under D1's 2 MB row limit. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
/** Deepest nesting of objects and arrays inside a document. */
export const MAX_DOCUMENT_DEPTH = 32;
/** Most operations in one batch (one collection or across collections). */
export const MAX_BATCH_OPERATIONS = 100;
/** Page size of a list when `limit` is not given. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page a list returns (high on purpose: clients page with `limit = pageSize + 1`). */
export const MAX_PAGE_SIZE = 1000;
/** Largest `offset`: deep offsets scan every skipped row; use cursors past this. */
export const MAX_OFFSET = 10_000;
/** Most groups an aggregate with `group_by` returns. */
export const MAX_AGGREGATE_GROUPS = 1000;
/** Most indexes one collection may have: each one slows every write to the collection. */
export const MAX_INDEXES_PER_COLLECTION = 16;
/** Default bound of the change outbox per collection: the newest changes kept. */
export const DEFAULT_RETENTION_MAX_CHANGES = 10_000;
/** Default bound of the change outbox per collection: the oldest change kept, in seconds. */
export const DEFAULT_RETENTION_MAX_AGE_SECONDS = 7 * 24 * 3600;
/** Most changes one read of the change feed returns. */
export const MAX_CHANGES_PAGE = 1000;
/** Page size of `GET /v1/collections` when `limit` is not given, and its largest page. */
export const DEFAULT_COLLECTIONS_PAGE = 100;
export const MAX_COLLECTIONS_PAGE = 1000;
