/**
 * Page meta on the wire, as plain types (no runtime code, no zod), so the SDK imports them with
 * `import type`; the zod schemas that validate them are in ./page-meta-schemas.ts. Field names
 * are snake_case, as on the wire. The seed's names (`title`, `description`, `image`, `og_type`,
 * `json_ld`, `robots_noindex`) keep their meaning.
 */

/** A JSON value (what `json_ld` holds). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** An extra `<meta>` tag: by `name` (`<meta name="author">`) or by `property` (`<meta property="og:locale">`). */
export type ExtraMetaTag = { name: string; content: string } | { property: string; content: string };

/** The fields of a page that a document can supply. */
export type DocumentField = "title" | "description" | "image" | "og_type" | "json_ld" | "canonical" | "robots_noindex";

/**
 * Where a record takes values from a document: the `collection`, the document `id` (a `:param`
 * of the record's pattern, or a literal id), and per field a path into the document as the
 * documents API returns it (`data.title`, `data.cover.url`, `id`, `updated_at`). The document
 * is read under the collection's read rule for a public key: one the public cannot read gives
 * the page no meta at all.
 */
export interface PageMetaDocument {
  collection: string;
  id: string;
  fields: Partial<Record<DocumentField, string>>;
}

/** What a page's meta says; every field is optional, and absent fields leave the page's own tags alone. */
export interface PageMetaFields {
  /** `<title>`, `og:title` and `twitter:title`. */
  title?: string | null;
  /** `<meta name="description">`, `og:description` and `twitter:description`. */
  description?: string | null;
  /** An absolute http(s) URL: `og:image`, `twitter:image` (and `twitter:card` `summary_large_image`). */
  image?: string | null;
  /** `og:type`, e.g. `website`, `article`, `product`. */
  og_type?: string | null;
  /**
   * Structured data for one `<script type="application/ld+json">`: a JSON object or array, or
   * (as the seed sends it) a string of JSON text, stored parsed.
   */
  json_ld?: JsonValue | null;
  /** True adds `<meta name="robots" content="noindex">`. */
  robots_noindex?: boolean;
  /** An absolute http(s) URL: `<link rel="canonical">` and `og:url`. */
  canonical?: string | null;
  /** More `<meta>` tags, each set or replacing the page's tag of the same name or property. */
  meta?: ExtraMetaTag[];
  /** Take values from a document (patterns and exact paths alike); fields above are the fallback. */
  document?: PageMetaDocument | null;
}

/** What `setPageMeta` and each page of `batchSetPageMeta` send: the path or pattern and its fields. */
export interface PageMetaInput extends PageMetaFields {
  /** An exact path (`/about`) or a pattern (`/products/:id`, `/docs/*`). */
  path: string;
}

/** A stored record, as every page-meta route answers. */
export interface PageMetaRecord {
  site: string;
  /** Normalized: no trailing slash. */
  path: string;
  /** True for a pattern (`:param` or `*` segments). */
  pattern: boolean;
  title: string | null;
  description: string | null;
  image: string | null;
  og_type: string | null;
  json_ld: JsonValue | null;
  robots_noindex: boolean;
  canonical: string | null;
  meta: ExtraMetaTag[];
  document: PageMetaDocument | null;
  /** ISO-8601 UTC. */
  created_at: string;
  updated_at: string;
}

/** `GET …/page-meta`: a page of records by path key; `next_cursor` continues it. */
export interface PageMetaPage {
  items: PageMetaRecord[];
  next_cursor: string | null;
}

/** `DELETE …/page-meta/entry`. */
export interface DeletedPageMeta {
  path: string;
  deleted: true;
}
