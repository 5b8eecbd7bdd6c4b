import type { Context } from "hono";
import { ApiError } from "../../core/errors";
import type { BucketRecord } from "../../core/files/wire";
import type { FileRow } from "../../data/files/files";
import type { AppEnv } from "../app-env";

/** A satisfiable single byte range: `offset` and `length` within the file. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * Reads a `Range` header against a file of `size` bytes: null to send the whole file (no header,
 * or one that is not a `bytes=` range: RFC 9110 says to ignore what cannot be parsed), a range
 * to send 206, or "unsatisfiable" for 416. Several ranges are refused with 416 and a message,
 * rather than answered with a multipart body no client here expects.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | "unsatisfiable" | "multiple" {
  if (!header) return null;
  const match = /^bytes=(.+)$/i.exec(header.trim());
  if (!match) return null;
  const specs = (match[1] as string).split(",").map((spec) => spec.trim());
  if (specs.length > 1) return "multiple";
  const spec = /^(\d*)-(\d*)$/.exec(specs[0] as string);
  if (!spec || (spec[1] === "" && spec[2] === "")) return null;
  const [, first, last] = spec as unknown as [string, string, string];
  if (first === "") {
    // Suffix: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return null; // invalid: ignored
  if (start >= size) return "unsatisfiable";
  return { offset: start, length: end - start + 1 };
}

/** An ETag list header (`If-None-Match`, `If-Match`) names this etag, or is `*`. */
function etagListHas(header: string, etag: string): boolean {
  return header
    .split(",")
    .map((item) => item.trim().replace(/^W\//, ""))
    .some((item) => item === "*" || item === `"${etag}"` || item === etag);
}

/** Seconds since the epoch of an ISO date, as HTTP dates carry (whole seconds). */
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * The answer a conditional GET gets before any byte is read: 304 when the client's copy is
 * current (`If-None-Match`, else `If-Modified-Since`), 412 when `If-Match` fails, else null.
 */
export function preconditionStatus(headers: Headers, file: FileRow): 304 | 412 | null {
  const ifMatch = headers.get("If-Match");
  if (ifMatch && !etagListHas(ifMatch, file.etag)) return 412;
  const ifNoneMatch = headers.get("If-None-Match");
  if (ifNoneMatch) return etagListHas(ifNoneMatch, file.etag) ? 304 : null;
  const since = headers.get("If-Modified-Since");
  if (since) {
    const time = Date.parse(since);
    if (!Number.isNaN(time) && seconds(file.updated_at) <= Math.floor(time / 1000)) return 304;
  }
  return null;
}

/** Types a browser would run (scripts, markup): never rendered inline from the API's origin. */
const ACTIVE_CONTENT =
  /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|[a-z]+\/[a-z0-9.+-]*\+xml|text\/javascript|application\/javascript|application\/ecmascript|text\/ecmascript)\b/i;

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266 / 8187). */
function disposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The headers every download and HEAD carries. Served user content must not run on the API's
 * origin: `nosniff` keeps the declared type, `Content-Security-Policy: sandbox` gives any document
 * an opaque origin without scripts, and markup and script types are always attachments.
 */
export function downloadHeaders(c: Context<AppEnv>, bucket: BucketRecord, file: FileRow, signed: boolean): Headers {
  const headers = new Headers();
  headers.set("Content-Type", file.content_type);
  headers.set("ETag", `"${file.etag}"`);
  headers.set("Last-Modified", new Date(seconds(file.updated_at) * 1000).toUTCString());
  headers.set("Accept-Ranges", "bytes");
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Content-Security-Policy", "sandbox");
  headers.set(
    "Cache-Control",
    bucket.cache_control ?? (bucket.public && !signed ? "public, max-age=3600" : "private, no-cache"),
  );
  const download = c.req.query("download");
  const name = c.req.query("filename") || (file.path.split("/").at(-1) as string);
  const attachment =
    (download !== undefined && download !== "0" && download !== "false") || ACTIVE_CONTENT.test(file.content_type);
  headers.set("Content-Disposition", disposition(attachment ? "attachment" : "inline", name));
  return headers;
}

/**
 * Streams a file (or one range of it) from R2. The body is R2's stream, passed straight through:
 * nothing is buffered.
 *
 * @throws {ApiError} `range_not_satisfiable` (416) for a range past the end or several ranges.
 */
export async function streamFile(
  c: Context<AppEnv>,
  bucket: BucketRecord,
  file: FileRow,
  signed: boolean,
): Promise<Response> {
  const headers = downloadHeaders(c, bucket, file, signed);
  const status = preconditionStatus(c.req.raw.headers, file);
  if (status === 304) return new Response(null, { status, headers: notModifiedHeaders(headers) });
  if (status === 412) {
    throw new ApiError("precondition_failed", "The file's ETag does not match If-Match.", { etag: file.etag });
  }
  let range = parseRange(c.req.header("Range"), file.size);
  const ifRange = c.req.header("If-Range");
  if (range !== null && ifRange && !etagListHas(ifRange, file.etag)) range = null; // changed: send it all
  if (range === "unsatisfiable" || range === "multiple") {
    const error = new ApiError(
      "range_not_satisfiable",
      range === "multiple"
        ? "Only one byte range per request is supported; ask for the ranges one by one."
        : `The range is outside the file's ${file.size} bytes.`,
      { size: file.size },
    );
    const response = c.json(error.toBody(), 416);
    response.headers.set("Content-Range", `bytes */${file.size}`);
    return response;
  }
  const head = c.req.method === "HEAD";
  if (range !== null) {
    headers.set("Content-Range", `bytes ${range.offset}-${range.offset + range.length - 1}/${file.size}`);
    headers.set("Content-Length", String(range.length));
  } else {
    headers.set("Content-Length", String(file.size));
  }
  if (head) return new Response(null, { status: range ? 206 : 200, headers });
  const object = await c.env.BUCKET.get(file.object_key, range ? { range } : {});
  if (!object) {
    // The file was deleted or replaced since its row was read (the old bytes go once the row no
    // longer names them): what was asked for is gone.
    throw new ApiError("not_found", `No file at "${file.path}".`, { path: file.path });
  }
  return new Response(object.body, { status: range ? 206 : 200, headers });
}

/** A 304 carries the validators and caching headers, not the body's. */
function notModifiedHeaders(headers: Headers): Headers {
  const kept = new Headers();
  for (const name of ["ETag", "Last-Modified", "Cache-Control", "Content-Security-Policy", "X-Content-Type-Options"]) {
    const value = headers.get(name);
    if (value !== null) kept.set(name, value);
  }
  return kept;
}
