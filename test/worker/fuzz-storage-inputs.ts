import fc from "fast-check";
import { formatUploadMetadata, TUS_CONTENT_TYPE, TUS_VERSION } from "../../core/protocol/tus";

/**
 * Random and adversarial requests for the storage routes (files by path and by id, metadata,
 * listing, signing, buckets, usage) and the tus upload routes: the parts fuzz.test.ts's generic
 * REST fuzzing cannot reach (raw bodies, byte counts that lie, Range and precondition headers, tus
 * headers, paths built to escape their bucket).
 */

/** Header values a client can send (printable ASCII); anything else is dropped, not sent. */
const sendable = (value: string) => /^[\x20-\x7e]*$/.test(value);

/**
 * File paths as they go into the URL: half of them plausible (so uploads, downloads and deletes of
 * real files happen), the rest traversal (plain, encoded, double encoded), NUL, long, odd.
 */
const filePath = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9]{1,6}(\/[a-z0-9]{1,6}){0,2}\.(txt|bin|png)$/) },
  fc.constantFrom(
    "ok.txt",
    "a/b/c.bin",
    "a/../b",
    "%2e%2e/x",
    "a/%2E%2E/b",
    "%252e%252e/x",
    "..%2f..%2fsecret",
    "a%5cb",
    "a%00b",
    "%00",
    "a//b",
    "dir/",
    "%",
    "%ff%fe",
    encodeURIComponent("日本/ファイル.txt"),
    encodeURIComponent("e\u0301.txt"),
    "x".repeat(950),
    `${"d/".repeat(300)}f`,
  ),
  fc
    .array(fc.oneof(fc.constantFrom("..", ".", "%2e", "%2E%2e", "", "_"), fc.string({ maxLength: 8 })), {
      minLength: 1,
      maxLength: 5,
    })
    .map((segments) => segments.map((segment) => encodeURIComponent(segment.toWellFormed())).join("/")),
);

/** Mostly the bucket that exists, so requests get past the bucket lookup. */
const bucketName = fc.oneof(
  { weight: 6, arbitrary: fc.constant("files") },
  { weight: 1, arbitrary: fc.constantFrom("nope", "FILES", "%2e%2e", "a".repeat(80), "files%2f..", "_") },
);
const uploadId = fc.oneof(fc.constantFrom("x", "0".repeat(24), "..", "%00"), fc.string({ maxLength: 30 }));

/** Every storage and tus route, with its path parameters drawn from the above. */
const target = fc.oneof(
  fc.tuple(fc.constantFrom("GET", "HEAD", "PUT", "DELETE", "POST"), bucketName, filePath).map(([m, b, p]) => ({
    method: m,
    path: `/v1/storage/buckets/${b}/objects/${p}`,
  })),
  fc.tuple(fc.constantFrom("GET", "PATCH", "DELETE"), bucketName, filePath).map(([m, b, p]) => ({
    method: m,
    path: `/v1/storage/buckets/${b}/metadata/${p}`,
  })),
  fc
    .tuple(fc.constantFrom("GET", "POST"), bucketName)
    .map(([m, b]) => ({ method: m, path: `/v1/storage/buckets/${b}/objects` })),
  fc.tuple(fc.constantFrom("POST"), bucketName).map(([m, b]) => ({ method: m, path: `/v1/storage/buckets/${b}/sign` })),
  fc
    .tuple(fc.constantFrom("POST"), bucketName)
    .map(([m, b]) => ({ method: m, path: `/v1/storage/buckets/${b}/delete` })),
  fc.tuple(fc.constantFrom("GET", "POST", "PATCH", "DELETE"), bucketName).map(([m, b]) => ({
    method: m,
    path: `/v1/storage/buckets/${b}`,
  })),
  fc.constantFrom({ method: "GET", path: "/v1/storage/buckets" }, { method: "POST", path: "/v1/storage/buckets" }),
  fc.constantFrom({ method: "GET", path: "/v1/storage/usage" }),
  fc.tuple(fc.constantFrom("POST", "OPTIONS"), bucketName).map(([m, b]) => ({
    method: m,
    path: `/v1/storage/buckets/${b}/uploads`,
  })),
  fc.tuple(fc.constantFrom("HEAD", "GET", "PATCH", "DELETE", "POST"), bucketName, uploadId).map(([m, b, id]) => ({
    method: m,
    path: `/v1/storage/buckets/${b}/uploads/${encodeURIComponent(id.toWellFormed())}`,
  })),
);

/** Byte counts and offsets: plausible, negative, not numbers, past every limit. */
const count = fc.oneof(
  fc.nat({ max: 5000 }).map(String),
  fc.constantFrom(
    "0",
    "-1",
    "1e3",
    "0x10",
    "abc",
    "",
    " 5",
    "5,5",
    "99999999999999999999",
    String(2 ** 53),
    String(6 * 1024 ** 3),
  ),
);

const headerValues = {
  "Upload-Offset": count,
  "Upload-Length": count,
  "Upload-Defer-Length": fc.constantFrom("1", "0", "x"),
  "Tus-Resumable": fc.constantFrom(TUS_VERSION, "0.2.2", "", "1.0"),
  "Content-Type": fc.constantFrom(
    TUS_CONTENT_TYPE,
    "text/plain",
    "image/png",
    "application/json",
    "",
    'a/b; x="',
    "text/html",
    "image/svg+xml",
  ),
  Range: fc.constantFrom(
    "bytes=0-",
    "bytes=-5",
    "bytes=5-1",
    "bytes=0-1,2-3",
    "items=1",
    "bytes=99999999999999999999-",
    "bytes=-0",
    "bytes=x-y",
  ),
  "If-Match": fc.constantFrom("*", '"abc"', 'W/"x"', "", "a,b", '"'),
  "If-None-Match": fc.constantFrom("*", '"abc"', 'W/"x"', "", "a,b"),
  "If-Range": fc.constantFrom('"abc"', "Tue, 01 Dec 2026 00:00:00 GMT", "x"),
  "If-Modified-Since": fc.constantFrom("Tue, 01 Dec 2026 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "garbage", ""),
  "X-Flarebase-Metadata": fc.oneof(
    fc
      .dictionary(fc.string({ maxLength: 70 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer()))
      .map((m) => JSON.stringify(m)),
    fc.constantFrom("{", "[]", "null", '{"a":"b"}', `{"k":"${"v".repeat(3000)}"}`),
  ),
  "Upload-Metadata": fc.oneof(
    fc
      .dictionary(
        fc.constantFrom("path", "filename", "contentType", "filetype", "x", "path "),
        fc.string({ maxLength: 20 }),
      )
      .map((pairs) => formatUploadMetadata(pairs)),
    fc.constantFrom("path", "path !!!", "path Li4=", "path L2Ficw==", ",,", "a b c"),
  ),
  "X-HTTP-Method-Override": fc.constantFrom("PATCH", "DELETE", "GET", "X"),
};

/**
 * Up to three of the storage and tus headers (only sendable values): few enough that many requests
 * are otherwise well formed and get past the first check, so later ones are fuzzed too.
 */
const headers = fc
  .shuffledSubarray(Object.keys(headerValues) as (keyof typeof headerValues)[], { maxLength: 3 })
  .chain((names) => fc.tuple(...names.map((name) => headerValues[name].map((value) => [name, value] as const))))
  .map((pairs) => Object.fromEntries(pairs.filter(([, value]) => sendable(value))));

/** Bodies: none, raw bytes, JSON (a plausible request body or any value). */
const body = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 3000 }),
  fc
    .record(
      {
        paths: fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }),
        path: fc.string({ maxLength: 20 }),
        method: fc.constantFrom("GET", "PUT", "DELETE", "x"),
        expires_in: fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 60)),
        name: fc.string({ maxLength: 70 }),
        public: fc.jsonValue({ maxDepth: 1 }),
        rules: fc.dictionary(fc.constantFrom("read", "create", "update", "delete", "x"), fc.string({ maxLength: 30 })),
        metadata: fc.dictionary(
          fc.string({ maxLength: 10 }),
          fc.oneof(fc.string({ maxLength: 10 }), fc.constant(null)),
        ),
        content_type: fc.string({ maxLength: 20 }),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
);

/**
 * A storage request. A body goes with its true `Content-Length`, or, when one was drawn, with that
 * one and as a stream, so that it may lie about the body's size (shorter or longer).
 */
export function storageRequest(credentials: fc.Arbitrary<Record<string, string>>) {
  return fc
    .record({
      target,
      headers,
      credentials,
      body,
      contentLength: fc.option(count, { nil: undefined }),
      query: fc.oneof(
        { weight: 3, arbitrary: fc.constant({}) },
        fc.dictionary(
          fc.constantFrom(
            "prefix",
            "delimiter",
            "cursor",
            "limit",
            "download",
            "folder",
            "force",
            "project",
            "expires",
            "sig",
          ),
          fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("/", "..", "-1", "1001", "true", "%00")),
          { maxKeys: 3 },
        ),
      ),
    })
    .map(({ target: { method, path }, headers: drawn, credentials: auth, body: payload, contentLength, query }) => {
      // tus requests carry the protocol version unless the fuzzer drew one, so that they get past
      // the version check.
      const tus: Record<string, string> = path.includes("/uploads") ? { "Tus-Resumable": TUS_VERSION } : {};
      const all: Record<string, string> = { ...tus, ...drawn, ...auth };
      const init: RequestInit = { method, headers: all };
      const hasBody = payload !== undefined && method !== "GET" && method !== "HEAD";
      if (hasBody) {
        const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
        const lie = contentLength !== undefined && /^\d+$/.test(contentLength);
        all["Content-Length"] = lie ? contentLength : String(bytes.length);
        init.body = lie ? new Blob([bytes]).stream() : bytes;
      }
      const search = new URLSearchParams(query).toString();
      return { url: `${path}${search ? `?${search}` : ""}`, init, what: `${method} ${path}` };
    });
}
