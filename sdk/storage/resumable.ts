/**
 * Resumable uploads: the SDK's own tus 1.0.0 client (no dependency), against the storage API's
 * `/v1/storage/buckets/:bucket/uploads`.
 *
 *   uploadResumable(
 *     transport: Transport,          // the client's internals (url, fetch, auth headers)
 *     bucket: string,
 *     path: string,                  // the file's path in the bucket
 *     file: Blob | ArrayBuffer | ArrayBufferView,
 *     options?: ResumableUploadOptions, // chunkSize, contentType, metadata, onProgress, signal, store, ...
 *   ): Promise<FileRecord>
 *
 * The file goes up in chunks of `chunkSize` bytes, one request each, so files far above the
 * platform's request body limit (100 MB) work. After a failed chunk (network, 5xx, 429) the
 * upload asks the server where it stands and goes on from there. Its URL is kept in
 * `localStorage` (in browsers; pass `store` elsewhere) under a key made of the bucket, the path and
 * the file's size, name and date, so calling `uploadResumable` again for the same file, even
 * after a page reload, continues where the last attempt stopped. An abort (`signal`) pauses: the
 * URL stays kept.
 */
import type { FileRecord } from "../../core/files/wire.js";
import { formatUploadMetadata, TUS_CONTENT_TYPE, TUS_VERSION, type UploadView } from "../../core/protocol/tus.js";
import { FlarebaseError } from "../errors.js";
import { type HttpMethod, type RequestOptions, request, requestRaw, type Transport } from "../http.js";

/** Progress of an upload: bytes the server has stored, of the file's size. */
export interface ResumableProgress {
  loaded: number;
  total: number;
}

/** Where upload URLs are kept between attempts: `localStorage` fits, and so does a Map-like wrapper. */
export interface ResumableStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ResumableUploadOptions {
  /** Bytes per request. Default 8 MiB; keep it under the platform's body limit (100 MB deployed). */
  chunkSize?: number;
  /** The file's content type; default the Blob's `type`, else `application/octet-stream`. */
  contentType?: string;
  /** The file's custom metadata (string values). */
  metadata?: Record<string, string>;
  /** Called after each stored chunk (and once at the start, with what was stored before). */
  onProgress?: (progress: ResumableProgress) => void;
  /** Pauses the upload: the call rejects with an `aborted` error and the URL stays kept for a resume. */
  signal?: AbortSignal;
  /** Where the upload's URL is kept; default `localStorage` when there is one; `null` keeps nothing. */
  store?: ResumableStore | null;
  /** Waits before each retry of a failed request, in ms; its length is the number of retries in a row. */
  retryDelays?: readonly number[];
  /** Time limit of one chunk's request, in ms; default 120 s. */
  chunkTimeoutMs?: number;
}

const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
const DEFAULT_RETRY_DELAYS = [0, 1000, 3000, 5000, 10000] as const;
const DEFAULT_CHUNK_TIMEOUT_MS = 120_000;
const KEY_PREFIX = "flarebase:upload:";

/**
 * Uploads `file` to `bucket` at `path` in resumable chunks and resolves with the stored file.
 *
 * @example
 * const file = await uploadResumable(transport, "videos", "talks/keynote.mp4", input.files[0], {
 *   chunkSize: 16 * 1024 * 1024,
 *   onProgress: ({ loaded, total }) => (bar.value = loaded / total),
 * });
 * @throws {FlarebaseError} the server's error (`forbidden`, `file_too_large`, ...), `aborted` when
 * `signal` fires, or the last network error once the retries are used up.
 */
export async function uploadResumable(
  transport: Transport,
  bucket: string,
  path: string,
  file: Blob | ArrayBuffer | ArrayBufferView,
  options: ResumableUploadOptions = {},
): Promise<FileRecord> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new TypeError(`Flarebase: chunkSize must be a whole number of bytes ≥ 1, got ${chunkSize}.`);
  }
  const source = asSource(file);
  const store = options.store === undefined ? defaultStore() : options.store;
  const key = storeKey(transport.url, bucket, path, file, source.size);
  const retries = new Retrier(options.retryDelays ?? DEFAULT_RETRY_DELAYS, options.signal);
  const chunkTimeoutMs = options.chunkTimeoutMs ?? DEFAULT_CHUNK_TIMEOUT_MS;
  const init = (method: HttpMethod, body: BodyInit | undefined, headers: Record<string, string>): RequestOptions => ({
    body,
    headers: { "Tus-Resumable": TUS_VERSION, ...headers },
    signal: options.signal,
    timeoutMs: method === "GET" ? undefined : chunkTimeoutMs,
  });
  const status = (target: string) => request<UploadView>(transport, "GET", target, init("GET", undefined, {}));

  let uploadPath = read(store, key);
  let offset = 0;
  if (uploadPath !== null) {
    const view = await retries
      .run(() => status(uploadPath as string))
      .catch((error: unknown) => {
        if (isGone(error)) return null;
        throw error;
      });
    if (view === null || view.length !== source.size) {
      forget(store, key);
      uploadPath = null;
    } else if (view.complete && view.file) {
      forget(store, key);
      options.onProgress?.({ loaded: source.size, total: source.size });
      return view.file;
    } else {
      offset = view.offset;
    }
  }
  if (uploadPath === null) {
    const metadata = {
      ...options.metadata,
      path,
      contentType: options.contentType || source.type || "application/octet-stream",
    };
    const headers = { "Upload-Length": String(source.size), "Upload-Metadata": formatUploadMetadata(metadata) };
    const created = await retries.run(() =>
      requestRaw(
        transport,
        "POST",
        `/v1/storage/buckets/${encodeURIComponent(bucket)}/uploads`,
        init("POST", undefined, headers),
      ),
    );
    uploadPath = apiPath(created.headers.get("Location"));
    write(store, key, uploadPath);
  }
  const target = uploadPath;
  options.onProgress?.({ loaded: offset, total: source.size });

  while (offset < source.size) {
    const end = Math.min(source.size, offset + chunkSize);
    const at = offset;
    try {
      // A 204 means the whole chunk is stored (a short body fails the next chunk with 409, and the retry asks).
      await request(
        transport,
        "PATCH",
        target,
        init("PATCH", source.slice(at, end), {
          "Content-Type": TUS_CONTENT_TYPE,
          "Upload-Offset": String(at),
        }),
      );
      offset = end;
      retries.succeeded();
      options.onProgress?.({ loaded: offset, total: source.size });
    } catch (error) {
      if (isGone(error) || !retryable(error)) {
        if (isGone(error) || !isAbort(error)) forget(store, key);
        throw error;
      }
      // Where does the server stand? A cut chunk may have been stored in part.
      await retries.wait(error);
      offset = (await retries.run(() => status(target))).offset;
    }
  }
  const view = await retries.run(() => status(target));
  forget(store, key);
  if (!view.file) {
    throw new FlarebaseError({
      status: 0,
      code: "invalid_response",
      message: `The upload at ${target} has all ${source.size} bytes, but the server reports no file.`,
      url: transport.url + target,
    });
  }
  return view.file;
}

/** Retries with the configured delays; a success resets the count. */
class Retrier {
  #attempt = 0;

  constructor(
    private readonly delays: readonly number[],
    private readonly signal: AbortSignal | undefined,
  ) {}

  async run<T>(attempt: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const result = await attempt();
        this.succeeded();
        return result;
      } catch (error) {
        await this.wait(error);
      }
    }
  }

  succeeded(): void {
    this.#attempt = 0;
  }

  /** Waits before the next retry, or rethrows `error` when it is not worth one or none are left. */
  async wait(error: unknown): Promise<void> {
    const delay = this.delays[this.#attempt++];
    if (delay === undefined || !retryable(error)) throw error;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, delay);
      const signal = this.signal;
      function done() {
        signal?.removeEventListener("abort", aborted);
        resolve();
      }
      function aborted() {
        clearTimeout(timer);
        reject(error);
      }
      signal?.addEventListener("abort", aborted, { once: true });
    });
  }
}

/** Worth retrying: no answer at all, a conflict about the offset (ask again), a busy or failing server. */
function retryable(error: unknown): boolean {
  if (!(error instanceof FlarebaseError) || error.code === "aborted") return false;
  return (
    error.status === 0 || error.status === 409 || error.status === 423 || error.status === 429 || error.status >= 500
  );
}

function isAbort(error: unknown): boolean {
  return error instanceof FlarebaseError && error.code === "aborted";
}

function isGone(error: unknown): boolean {
  return error instanceof FlarebaseError && (error.status === 404 || error.status === 410);
}

/** The upload's path from its `Location` (the server names its own origin; the client keeps its base URL). */
function apiPath(location: string | null): string {
  const at = location?.indexOf("/v1/storage/") ?? -1;
  if (!location || at < 0) {
    throw new FlarebaseError({
      status: 0,
      code: "invalid_response",
      message: `The server created the upload without a usable Location header (${location}).`,
      url: location ?? "",
    });
  }
  return location.slice(at);
}

interface Source {
  size: number;
  type: string;
  slice(start: number, end: number): Blob | Uint8Array<ArrayBuffer>;
}

function asSource(file: Blob | ArrayBuffer | ArrayBufferView): Source {
  if (file instanceof ArrayBuffer || ArrayBuffer.isView(file)) {
    const view = ArrayBuffer.isView(file)
      ? new Uint8Array(file.buffer, file.byteOffset, file.byteLength)
      : new Uint8Array(file);
    // A view over a SharedArrayBuffer cannot be a fetch body: such bytes are copied once.
    const bytes = view.buffer instanceof ArrayBuffer ? (view as Uint8Array<ArrayBuffer>) : new Uint8Array(view);
    return { size: bytes.byteLength, type: "", slice: (start, end) => bytes.subarray(start, end) };
  }
  return { size: file.size, type: file.type, slice: (start, end) => file.slice(start, end) };
}

/** One key per server, bucket, path and file (size, and for a File its name and date). */
function storeKey(url: string, bucket: string, path: string, file: unknown, size: number): string {
  const named = file as { name?: unknown; lastModified?: unknown };
  const identity = [
    url,
    bucket,
    path,
    size,
    typeof named.name === "string" ? named.name : "",
    named.lastModified ?? "",
  ];
  return KEY_PREFIX + JSON.stringify(identity);
}

function defaultStore(): ResumableStore | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled (some private modes throw on access)
  }
}

// Storage failures (quota, private mode) only cost the ability to resume: never the upload.
function read(store: ResumableStore | null, key: string): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(store: ResumableStore | null, key: string, value: string): void {
  try {
    store?.setItem(key, value);
  } catch {
    // see read()
  }
}

function forget(store: ResumableStore | null, key: string): void {
  try {
    store?.removeItem(key);
  } catch {
    // see read()
  }
}
