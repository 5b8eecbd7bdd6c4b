import { DOCUMENT_ID } from "../../core/documents/names";
import type { StoredDocument } from "../../core/documents/wire";
import type { Caller } from "../../core/query";
import type { DocumentField, JsonValue, PageMetaDocument } from "../../core/sites/page-meta";
import { PAGE_META_LIMITS, PARAM_REFERENCE } from "../../core/sites/page-meta-schemas";
import { CollectionAccess } from "../documents/access";
import { selectSettings } from "../documents/collection-settings";
import { type DocumentRow, toDocument } from "../documents/document";
import { selectDocument } from "../documents/store";
import type { MatchedPageMeta } from "./match";
import type { StoredPageMetaFields } from "./store";

/** What a page gets: a record's fields with its document's values in place. */
export type PageMetaValues = Omit<StoredPageMetaFields, "document">;

/** Whoever loads a page without credentials: what the public key's rules let through. */
const publicCaller = (projectId: string): Caller => ({
  projectId,
  kind: "public",
  userId: null,
  role: null,
  claims: {},
});

/**
 * The values a matched record gives its page, or null for none. A document-bound record reads
 * its document (one round trip: the document and the collection's rules) under the collection's read rule for a public key: a
 * document that is missing, or that a visitor with the public key could not read, gives the page
 * no meta at all, so nothing about it leaks into link previews. Never cached: a document edited,
 * hidden or deleted shows on the next request.
 */
export async function pageMetaValues(
  db: D1Database,
  projectId: string,
  matched: MatchedPageMeta,
): Promise<PageMetaValues | null> {
  const { document: binding, ...fields } = matched.fields;
  if (!binding) return fields;
  const id = PARAM_REFERENCE.test(binding.id) ? matched.params[binding.id.slice(1)] : binding.id;
  if (id === undefined || !DOCUMENT_ID.test(id)) return null;
  const document = await readPublicDocument(db, projectId, binding.collection, id);
  return document ? withDocumentValues(fields, binding, document) : null;
}

async function readPublicDocument(
  db: D1Database,
  projectId: string,
  collection: string,
  id: string,
): Promise<StoredDocument | null> {
  // The rules and the document in one round trip.
  const [settings, row] = await db.batch([
    selectSettings(db, projectId, collection),
    selectDocument(db, projectId, collection, id),
  ]);
  const access = CollectionAccess.fromSettings(
    publicCaller(projectId),
    collection,
    (settings?.results[0] as { rules: string } | undefined) ?? null,
  );
  const document = row?.results[0] ? toDocument(row.results[0] as DocumentRow) : null;
  // For a public caller `mayHide` means "the collection has a read rule": without one, only
  // secret keys may read it (secure by default), so its documents give no meta.
  if (!document || !access.mayHide || !access.allows("read", { doc: document.data })) return null;
  return document;
}

/** The record's fields, each one the document supplies (with a usable value) replaced. */
export function withDocumentValues(
  fields: PageMetaValues,
  binding: PageMetaDocument,
  document: StoredDocument,
): PageMetaValues {
  const values: PageMetaValues = { ...fields };
  for (const [field, path] of Object.entries(binding.fields) as [DocumentField, string][]) {
    const value = usableValue(field, valueAt(document, path));
    if (value !== undefined) (values as Record<DocumentField, unknown>)[field] = value;
  }
  return values;
}

/** The value at a dotted path of the document's wire shape (`data.cover.url`, `updated_at`). */
function valueAt(document: StoredDocument, path: string): unknown {
  let value: unknown = document;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const TEXT_LIMITS = { title: PAGE_META_LIMITS.title, description: PAGE_META_LIMITS.description } as const;
const OG_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * A document value as the field it fills, or undefined when it cannot fill it (the record's own
 * value stays): text is cut to the field's limit, URLs must be absolute http(s), JSON-LD an
 * object or array. Documents are the app's data, not checked on write like a record is.
 */
function usableValue(field: DocumentField, value: unknown): unknown {
  if (field === "robots_noindex") return typeof value === "boolean" ? value : undefined;
  if (field === "json_ld") return typeof value === "object" && value !== null ? (value as JsonValue) : undefined;
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== "string" || text.trim() === "") return undefined;
  if (field === "title" || field === "description") return cut(text, TEXT_LIMITS[field]);
  if (field === "og_type") return OG_TYPE.test(text) ? text : undefined;
  return isAbsoluteHttpUrl(text) && text.length <= PAGE_META_LIMITS.url ? text : undefined;
}

function isAbsoluteHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === "https:" || protocol === "http:";
}

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max).toWellFormed();
}
