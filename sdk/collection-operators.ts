import type { FieldOperator } from "../core/documents/wire.js";

/**
 * Field operators for `update`, `replace`, `create` and batches: applied by the server to the
 * document as it is when the write commits, so concurrent writers never lose an update.
 *
 * @example
 * await posts.update(id, { title: "New" }, { operators: { views: increment(1), edited_at: serverTimestamp() } });
 */
export const increment = (value: number): FieldOperator => ({ type: "increment", value });

/** Sets the field to the commit time (ISO-8601, equal to the document's new `updated_at`). */
export const serverTimestamp = (): FieldOperator => ({ type: "server_timestamp" });

/** Appends values to an array field; `{ unique: true }` skips values already present. */
export const arrayAppend = (values: unknown[], options: { unique?: boolean } = {}): FieldOperator => ({
  type: "array_append",
  values,
  ...(options.unique ? { unique: true } : {}),
});

/** Removes every element equal to one of `values` from an array field. */
export const arrayRemove = (values: unknown[]): FieldOperator => ({ type: "array_remove", values });

/** Removes the field. */
export const deleteField = (): FieldOperator => ({ type: "delete_field" });
