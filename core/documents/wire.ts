/**
 * The documents API on the wire, as plain types: no runtime code, no zod and no Workers types,
 * so the browser SDK imports them with `import type` and the two can never drift apart. Field
 * names are snake_case, as on the wire.
 */

/** A document's data: a JSON object. */
export type DocumentData = Record<string, unknown>;

/** A stored document. */
export interface StoredDocument<T = DocumentData> {
  id: string;
  data: T;
  /** 1 on create, +1 per write; send it back as `If-Match` for optimistic concurrency. */
  version: number;
  /** ISO-8601 UTC. */
  created_at: string;
  updated_at: string;
}

/** The answer to a delete. */
export interface DeletedDocument {
  id: string;
  deleted: true;
  /** The version the document had when it was deleted. */
  version: number;
}

/**
 * A field operator, applied on the server to the document as it is when the write commits.
 * - `increment`: adds `value` to a number (a missing field counts as 0).
 * - `server_timestamp`: the commit time, ISO-8601 (the document's new `updated_at`).
 * - `array_append`: appends `values` (with `unique`, only those not already present).
 * - `array_remove`: removes every element equal to one of `values`.
 * - `delete_field`: removes the field.
 */
export type FieldOperator =
  | { type: "increment"; value: number }
  | { type: "server_timestamp" }
  | { type: "array_append"; values: unknown[]; unique?: boolean }
  | { type: "array_remove"; values: unknown[] }
  | { type: "delete_field" };

/** Field operators by dotted field path (`"stats.views"`). */
export type FieldOperators = Record<string, FieldOperator>;

/** One operation of a batch on one collection. */
export type BatchOperation<T = DocumentData> =
  | { op: "create"; id?: string; data: T; operators?: FieldOperators }
  | { op: "update"; id: string; data?: Partial<T>; operators?: FieldOperators; if_match?: number }
  | { op: "replace"; id: string; data: T; operators?: FieldOperators; if_match?: number }
  | { op: "delete"; id: string; if_match?: number };

/** One operation of `POST /v1/batch`: a batch operation naming its collection. */
export type CrossBatchOperation<T = DocumentData> = BatchOperation<T> & { collection: string };

/** One result of a batch, in operation order. A replace that created its document says `create`. */
export type BatchResult<T = DocumentData> =
  | ({ op: "create" | "update"; collection: string } & StoredDocument<T>)
  | ({ op: "delete"; collection: string } & DeletedDocument);

/** One entry of a collection's change feed. */
export interface Change<T = DocumentData> {
  /** Gap-free and increasing per collection, in commit order. */
  seq: number;
  op: "create" | "update" | "delete";
  id: string;
  /** The document's data after the change; null for a delete. */
  data: T | null;
  /** The data before the change; null for a create. */
  old_data: T | null;
  created_at: string;
}

/** A page of the change feed. */
export interface ChangePage<T = DocumentData> {
  items: Change<T>[];
  /** Pass back as `since` for the next page; null when this page reached the newest change. */
  next_cursor: string | null;
  /** The newest sequence number of the collection (0 before its first write). */
  last_seq: number;
}

export type AggregateOperation = "count" | "sum" | "avg" | "min" | "max";

/** One group of an aggregate with `group_by`. */
export interface AggregateGroup {
  /** The group's value of each `group_by` field (null for missing). */
  key: Record<string, unknown>;
  result: number | string | null;
  /** Documents in the group. */
  count: number;
}

/** The answer of `GET …/aggregate`. Without `group_by`: `result` and `count`; with it: `groups`. */
export interface AggregateResult {
  collection: string;
  operation: AggregateOperation;
  field: string | null;
  result?: number | string | null;
  count?: number;
  group_by?: string[];
  groups?: AggregateGroup[];
  /** True when there were more groups than the server returns (1000). */
  truncated?: boolean;
}

/** A collection's security rules: one expression per operation; missing = secret keys only. */
export interface CollectionRules {
  list?: string;
  read?: string;
  create?: string;
  update?: string;
  delete?: string;
}

/** An index on document fields. */
export interface DocumentIndex {
  name: string;
  fields: string[];
  unique: boolean;
  created_at: string;
}

/** A collection as listed by `GET /v1/collections`. */
export interface CollectionInfo {
  name: string;
  documents: number;
  last_seq: number;
}
