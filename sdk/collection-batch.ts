import type { BatchResult, CrossBatchOperation, DocumentData } from "../core/documents/wire.js";
import type { FlarebaseClient } from "./client.js";
import type { CallOptions } from "./http.js";

/**
 * Writes up to 100 operations across collections atomically (`POST /v1/batch`): all commit, each
 * with its change in its collection's feed, or none does. Each operation is checked against its
 * collection's rules.
 *
 * @example
 * await writeBatch(client, [
 *   { op: "create", collection: "orders", data: { item: "a", qty: 1 } },
 *   { op: "update", collection: "inventory", id: "a", operators: { stock: increment(-1) } },
 * ]);
 *
 * @throws {FlarebaseError} for the first operation that fails (`forbidden`, `not_found`, `conflict`, …).
 */
export async function writeBatch<T extends object = DocumentData>(
  client: FlarebaseClient,
  operations: CrossBatchOperation<T>[],
  options?: CallOptions,
): Promise<BatchResult<T>[]> {
  const body = await client.request<{ results: BatchResult<T>[] }>("POST", "/v1/batch", {
    ...options,
    body: { operations },
  });
  return body.results;
}
