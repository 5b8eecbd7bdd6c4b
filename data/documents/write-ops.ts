import type { DocumentData } from "./document";
import type { FieldOperators } from "./field-operators";

/**
 * One document write, as the store executes it. Routes and batches turn their bodies into these.
 *
 * - `create`: a new document; fails with `conflict` when `id` is given and taken.
 * - `update`: merges `data` into the stored document (top-level keys), then applies `operators`.
 * - `replace`: stores `data` (then `operators`) in place of the document; creates it when missing
 *   and no `ifMatch` is given (PUT semantics).
 * - `delete`: removes the document.
 *
 * `ifMatch` is the version the caller expects the stored document to have (409 otherwise).
 */
export type WriteOp =
  | {
      op: "create";
      collection: string;
      id?: string | undefined;
      data: DocumentData;
      operators?: FieldOperators | undefined;
    }
  | {
      op: "update";
      collection: string;
      id: string;
      data?: DocumentData | undefined;
      operators?: FieldOperators | undefined;
      ifMatch?: number | undefined;
    }
  | {
      op: "replace";
      collection: string;
      id: string;
      data: DocumentData;
      operators?: FieldOperators | undefined;
      ifMatch?: number | undefined;
    }
  | { op: "delete"; collection: string; id: string; ifMatch?: number | undefined };

/** The outcome of one write: the document as stored now, or the deleted document's last state. */
export type WriteResult =
  | {
      op: "create" | "update";
      collection: string;
      id: string;
      document: import("./document").StoredDocument;
    }
  | { op: "delete"; collection: string; id: string; version: number };
