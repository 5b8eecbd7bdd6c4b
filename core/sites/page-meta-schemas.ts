/**
 * Page meta's request and response schemas (zod), for the routes, the OpenAPI document and the
 * tests. Responses `satisfies` their plain types in ./page-meta.ts so the two cannot drift; the
 * SDK imports only those types (zod stays out of the browser bundle).
 */
import { z } from "zod";
import { COLLECTION_NAME, DOCUMENT_ID } from "../documents/names.js";
import { parseJsonText } from "../json-limits.js";
import { exceedsUtf8Bytes } from "../utf8.js";
import type {
  DeletedPageMeta,
  DocumentField,
  ExtraMetaTag,
  JsonValue,
  PageMetaDocument,
  PageMetaPage,
  PageMetaRecord,
} from "./page-meta.js";
import { pagePathProblem } from "./page-path.js";

/** Limits of one record, in one place so the docs, the errors and the tests agree. */
export const PAGE_META_LIMITS = {
  title: 300,
  description: 1000,
  /** Of `image` and `canonical`. */
  url: 2048,
  /** Of `json_ld`, as UTF-8 JSON. */
  json_ld_bytes: 16 * 1024,
  /** Extra `<meta>` tags of one record. */
  meta_tags: 32,
  meta_content: 2000,
  /** Records in one `batchSetPageMeta`. */
  batch: 100,
  /** Patterns per site: the site server matches a request against its candidates in memory. */
  patterns_per_site: 100,
  /** Largest page of a list. */
  page: 100,
} as const;

/** Every field a document can supply. */
export const DOCUMENT_FIELDS = [
  "title",
  "description",
  "image",
  "og_type",
  "json_ld",
  "canonical",
  "robots_noindex",
] as const satisfies readonly DocumentField[];

/** A path into a document as the documents API returns it: `data.…` (dotted), `id`, `created_at`, `updated_at`. */
export const DOCUMENT_VALUE_PATH = /^(?:data(?:\.[A-Za-z0-9_$-]+)+|id|created_at|updated_at|version)$/;

/** A `:param` of the record's pattern, as a document-bound record's `id`. */
export const PARAM_REFERENCE = /^:[A-Za-z_][A-Za-z0-9_]*$/;

export const PagePathSchema = z
  .string()
  .superRefine((path, context) => {
    const problem = pagePathProblem(path);
    if (problem) context.addIssue({ code: "custom", message: `A page path or pattern ${problem}.` });
  })
  .meta({ description: "An exact path (`/about`) or a pattern (`/products/:id`, `/docs/*`); starts with /." });

const Text = (max: number) => z.string().max(max).nullable().optional();
const AbsoluteUrl = z
  .url({ protocol: /^https?$/ })
  .max(PAGE_META_LIMITS.url)
  .meta({ description: "An absolute http(s) URL." })
  .nullable()
  .optional();

/** `og:type` values look like `website`, `article`, `video.movie` or `product`. */
const OgType = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, "an Open Graph type such as website, article or video.movie")
  .nullable()
  .optional();

const isJsonContainer = (value: unknown): value is Record<string, JsonValue> | JsonValue[] =>
  typeof value === "object" && value !== null;

/** JSON-LD: an object or array, or (as the seed sends it) a string of JSON text holding one. */
const JsonLd = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .transform((value, context): JsonValue => {
    let parsed: unknown = value;
    if (typeof value === "string") {
      const result = parseJsonText(value);
      if (!result.ok) {
        context.addIssue({ code: "custom", message: `json_ld is a string but not JSON: ${result.problem.message}` });
        return z.NEVER;
      }
      parsed = result.value;
    }
    if (!isJsonContainer(parsed)) {
      context.addIssue({ code: "custom", message: "json_ld must be a JSON object or array" });
      return z.NEVER;
    }
    if (exceedsUtf8Bytes(JSON.stringify(parsed), PAGE_META_LIMITS.json_ld_bytes)) {
      context.addIssue({
        code: "custom",
        message: `json_ld must be at most ${PAGE_META_LIMITS.json_ld_bytes} bytes of JSON`,
      });
      return z.NEVER;
    }
    return parsed as JsonValue;
  })
  .meta({ description: "A JSON-LD object or array, or a string of JSON text holding one." })
  .nullable()
  .optional();

/** Names and properties of extra tags: what real tags use (`author`, `og:locale`, `article:tag`). */
const MetaName = z.string().regex(/^[A-Za-z][A-Za-z0-9:._-]{0,127}$/, "letters, digits, : . _ - (at most 128)");
const MetaContent = z.string().max(PAGE_META_LIMITS.meta_content);
const ExtraMetaTagSchema = z.union([
  z.strictObject({ name: MetaName, content: MetaContent }),
  z.strictObject({ property: MetaName, content: MetaContent }),
]) satisfies z.ZodType<ExtraMetaTag>;

const PageMetaDocumentSchema = z.strictObject({
  collection: z.string().regex(COLLECTION_NAME, "a collection name"),
  id: z
    .string()
    .refine((id) => PARAM_REFERENCE.test(id) || DOCUMENT_ID.test(id), "a :param of the pattern, or a document id")
    .meta({ description: "A `:param` of the pattern (`:id`), or a literal document id." }),
  fields: z
    .partialRecord(
      z.enum(DOCUMENT_FIELDS),
      z.string().regex(DOCUMENT_VALUE_PATH, "data.<field>[.<field>…], id, created_at, updated_at or version"),
    )
    .refine((fields) => Object.keys(fields).length > 0, "name at least one field to take from the document"),
}) satisfies z.ZodType<PageMetaDocument>;

/** The fields of one record as a client sends them (absent and null mean "not set"). */
export const PageMetaFieldsSchema = z.strictObject({
  title: Text(PAGE_META_LIMITS.title),
  description: Text(PAGE_META_LIMITS.description),
  image: AbsoluteUrl,
  og_type: OgType,
  json_ld: JsonLd,
  robots_noindex: z.boolean().optional(),
  canonical: AbsoluteUrl,
  meta: z.array(ExtraMetaTagSchema).max(PAGE_META_LIMITS.meta_tags).optional(),
  document: PageMetaDocumentSchema.nullable().optional(),
});

/** One record as `setPageMeta` sends it: its path or pattern, and its fields. */
export const PageMetaInputSchema = PageMetaFieldsSchema.extend({ path: PagePathSchema }).superRefine(
  (input, context) => {
    const id = input.document?.id;
    if (id && PARAM_REFERENCE.test(id) && !input.path.split("/").includes(id)) {
      context.addIssue({
        code: "custom",
        path: ["document", "id"],
        message: `document.id "${id}" is not a parameter of the pattern "${input.path}"`,
      });
    }
  },
);
export type PageMetaInputParsed = z.output<typeof PageMetaInputSchema>;

/** `POST …/page-meta/batch` body: up to {@link PAGE_META_LIMITS.batch} records, written all or none. */
export const PageMetaBatchSchema = z.strictObject({
  pages: z.array(PageMetaInputSchema).min(1).max(PAGE_META_LIMITS.batch),
});

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });

export const PageMetaRecordSchema = z.object({
  site: z.string(),
  path: z.string(),
  pattern: z.boolean(),
  title: z.string().nullable(),
  description: z.string().nullable(),
  image: z.string().nullable(),
  og_type: z.string().nullable(),
  json_ld: (z.unknown() as z.ZodType<JsonValue>).nullable().meta({ description: "A JSON-LD object or array." }),
  robots_noindex: z.boolean(),
  canonical: z.string().nullable(),
  meta: z.array(
    z.union([
      z.object({ name: z.string(), content: z.string() }),
      z.object({ property: z.string(), content: z.string() }),
    ]),
  ),
  document: z
    .object({
      collection: z.string(),
      id: z.string(),
      fields: z.partialRecord(z.enum(DOCUMENT_FIELDS), z.string()),
    })
    .nullable(),
  created_at: IsoTime,
  updated_at: IsoTime,
}) satisfies z.ZodType<PageMetaRecord, unknown>;

export const PageMetaPageSchema = z.object({
  items: z.array(PageMetaRecordSchema),
  next_cursor: z.string().nullable(),
}) satisfies z.ZodType<PageMetaPage, unknown>;

export const PageMetaBatchResultSchema = z.object({ items: z.array(PageMetaRecordSchema) });

export const DeletedPageMetaSchema = z.object({
  path: z.string(),
  deleted: z.literal(true),
}) satisfies z.ZodType<DeletedPageMeta>;
