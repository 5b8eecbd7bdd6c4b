import type { FileList, FileMetadata, FileRecord, SignedUrl } from "../../core/files/wire.js";
import type { ClientCore } from "../client.js";
import { FlarebaseError } from "../errors.js";
import { type CallOptions, request, requestRaw } from "../http.js";
import { type ResumableUploadOptions, uploadResumable } from "./resumable.js";
import {
  countingStream,
  hasXhr,
  metadataHeader,
  type PreparedBody,
  prepareBody,
  type UploadBody,
  type UploadProgress,
  xhrUpload,
} from "./upload-body.js";

/** Options of `upload` and `uploadFile`. */
export interface UploadOptions extends CallOptions {
  /** The file's media type; default a Blob's own type, else `application/octet-stream`. */
  contentType?: string;
  /** Custom metadata: string values, readable by rules as `file.metadata.*`. */
  metadata?: FileMetadata;
  /** Upload progress: XHR `upload.onprogress` in browsers, the streamed body in Node. */
  onProgress?: (progress: UploadProgress) => void;
  /** The size of a `ReadableStream` body (required for streams: the server needs it first). */
  size?: number;
  /** Replace only the file with this ETag (`FileRecord.etag`); `precondition_failed` otherwise. */
  ifMatch?: string;
  /** Create only: fail with `precondition_failed` when a file exists at the path. */
  createOnly?: boolean;
}

/** Options of `download` and `open`. */
export interface DownloadOptions extends CallOptions {
  /** One byte range: `{ offset, length? }` (length omitted: to the end) or `{ suffix }` (the last bytes). */
  range?: { offset: number; length?: number } | { suffix: number };
}

/** Options of `list`. */
export interface ListFilesQuery {
  /** Only paths starting with this (`photos/`, or `photos/2024-`). */
  prefix?: string;
  /** `/`: group deeper paths into `folders`. */
  delimiter?: "/";
  cursor?: string | null;
  /** 1–1000, default 100. */
  limit?: number;
}

const objects = (bucket: string, filePath: string) =>
  `/v1/storage/buckets/${encodeURIComponent(bucket)}/objects/${filePath.split("/").map(encodeURIComponent).join("/")}`;
const metadataPath = (bucket: string, filePath: string) =>
  `/v1/storage/buckets/${encodeURIComponent(bucket)}/metadata/${filePath.split("/").map(encodeURIComponent).join("/")}`;
/** The seed's paths start with `/`; ours are relative to the bucket. */
const relative = (filePath: string) => filePath.replace(/^\/+/, "");

function rangeHeader(range: DownloadOptions["range"]): Record<string, string> {
  if (!range) return {};
  if ("suffix" in range) return { Range: `bytes=-${range.suffix}` };
  const end = range.length === undefined ? "" : String(range.offset + range.length - 1);
  return { Range: `bytes=${range.offset}-${end}` };
}

/**
 * One bucket's files (`storage(client).bucket(name)`). Paths are relative to the bucket
 * (`users/42/avatar.png`); the server normalizes them (Unicode NFC) and refuses `..` and the like.
 */
export class StorageBucket {
  #projectId: Promise<string> | null = null;

  constructor(
    private readonly core: ClientCore,
    readonly name: string,
  ) {}

  /**
   * Uploads `body` to `path`, replacing what is there (same id and URL). The body streams to the
   * server; `onProgress` reports bytes sent.
   *
   * @example
   * const file = await bucket.upload(`users/${userId}/avatar.png`, input.files[0], {
   *   onProgress: ({ loaded, total }) => (bar.value = loaded / total),
   * });
   *
   * @throws {FlarebaseError} `forbidden` (rules), `file_too_large`, `quota_exceeded`,
   * `unsupported_media_type`, `precondition_failed` (`ifMatch` / `createOnly`), `invalid_path`.
   */
  upload(filePath: string, body: UploadBody, options: UploadOptions = {}): Promise<FileRecord> {
    return this.#send("PUT", objects(this.name, filePath), {}, body, options);
  }

  /**
   * Uploads `body` under a new generated id (a new URL each time), in `folder` if given.
   *
   * @example
   * const { url } = await bucket.uploadFile(file, { folder: "attachments" });
   */
  uploadFile(body: UploadBody, options: UploadOptions & { folder?: string } = {}): Promise<FileRecord> {
    const query = options.folder ? `?folder=${encodeURIComponent(relative(options.folder))}` : "";
    return this.#send(
      "POST",
      `/v1/storage/buckets/${encodeURIComponent(this.name)}/objects${query}`,
      {},
      body,
      options,
    );
  }

  /**
   * Uploads a file of any size in chunks over tus, resumable after a failure or a page reload.
   *
   * @example
   * await bucket.uploadResumable("videos/talk.mp4", file, { onProgress: ({ loaded, total }) => show(loaded / total) });
   */
  uploadResumable(filePath: string, file: Blob | ArrayBuffer | ArrayBufferView, options?: ResumableUploadOptions) {
    return uploadResumable(this.core, this.name, filePath, file, options);
  }

  /**
   * Downloads a file (or one byte range of it) as a Blob.
   *
   * @example
   * const blob = await bucket.download("report.pdf");
   * const head = await bucket.download("video.mp4", { range: { offset: 0, length: 1024 } });
   */
  async download(filePath: string, options: DownloadOptions = {}): Promise<Blob> {
    return (await this.open(filePath, options)).blob();
  }

  /**
   * The download's `Response`, unread: stream `body` instead of holding the file in memory.
   *
   * @example
   * const response = await bucket.open("big.bin");
   * for await (const chunk of response.body) write(chunk);
   */
  open(filePath: string, options: DownloadOptions = {}): Promise<Response> {
    return requestRaw(this.core, "GET", objects(this.name, filePath), {
      ...options,
      headers: rangeHeader(options.range),
    });
  }

  /**
   * The file's URL: works without credentials when the bucket is public (an `<img src>`); for a
   * private bucket use `createSignedUrl`. Resolves the project id once (`auth.me`).
   */
  async getUrl(filePath: string): Promise<string> {
    return `${this.core.url}${objects(this.name, filePath)}?project=${encodeURIComponent(await this.#project())}`;
  }

  /**
   * A URL that grants one method on one file without headers, until it expires (at most 7 days).
   * GET needs read access; PUT (a direct upload URL) needs a secret key.
   *
   * @example
   * const { url } = await bucket.createSignedUrl("private/photo.jpg", { expiresIn: 600 });
   * img.src = url;
   */
  createSignedUrl(
    filePath: string,
    options: { expiresIn?: number; method?: "GET" | "PUT" } & CallOptions = {},
  ): Promise<SignedUrl> {
    return request(this.core, "POST", `/v1/storage/buckets/${encodeURIComponent(this.name)}/sign`, {
      ...options,
      body: { path: filePath, method: options.method ?? "GET", expires_in: options.expiresIn ?? 3600 },
    });
  }

  /**
   * One page of files in path order (only those the read rule lets the caller see); with
   * `delimiter: "/"`, deeper paths come back as `folders`.
   *
   * @example
   * const { items, folders, next_cursor } = await bucket.list({ prefix: "photos/", delimiter: "/" });
   */
  list(query: ListFilesQuery = {}, options?: CallOptions): Promise<FileList> {
    return request(this.core, "GET", `/v1/storage/buckets/${encodeURIComponent(this.name)}/objects`, {
      ...options,
      query: {
        prefix: query.prefix,
        delimiter: query.delimiter,
        cursor: query.cursor ?? undefined,
        limit: query.limit,
      },
    });
  }

  /** The file's record (size, type, ETag, metadata, URL). @throws {FlarebaseError} `not_found`. */
  getMetadata(filePath: string, options?: CallOptions): Promise<FileRecord> {
    return request(this.core, "GET", metadataPath(this.name, filePath), options);
  }

  /**
   * Changes custom metadata (keys set to `null` are removed; others kept) and/or the content type.
   *
   * @example
   * await bucket.updateMetadata("a.png", { metadata: { alt: "a cat", draft: null } });
   */
  updateMetadata(
    filePath: string,
    changes: { metadata?: Record<string, string | null>; contentType?: string },
    options?: CallOptions,
  ): Promise<FileRecord> {
    return request(this.core, "PATCH", metadataPath(this.name, filePath), {
      ...options,
      body: { metadata: changes.metadata, content_type: changes.contentType },
    });
  }

  /**
   * Deletes one file or many (up to 1,000); missing paths are listed in `not_found`.
   *
   * @example
   * await bucket.remove(["a.png", "b.png"]);
   */
  async remove(paths: string | readonly string[], options?: CallOptions) {
    const list = typeof paths === "string" ? [paths] : [...paths];
    return request<{ deleted: string[]; not_found: string[] }>(
      this.core,
      "POST",
      `/v1/storage/buckets/${encodeURIComponent(this.name)}/delete`,
      { ...options, body: { paths: list } },
    );
  }

  // The names the seed's storage API uses, as thin aliases (paths may start with "/").

  /** Alias of `upload` (the path may start with `/`). */
  uploadByPath(filePath: string, body: UploadBody, options?: UploadOptions) {
    return this.upload(relative(filePath), body, options);
  }
  /** Alias of `getMetadata` (the path may start with `/`). */
  getByPath(filePath: string, options?: CallOptions) {
    return this.getMetadata(relative(filePath), options);
  }
  /** The file's `url`, or null when there is no file at the path (or it is hidden from the caller). */
  async getUrlByPath(filePath: string, options?: CallOptions): Promise<string | null> {
    try {
      return (await this.getMetadata(relative(filePath), options)).url;
    } catch (error) {
      if (error instanceof FlarebaseError && error.code === "not_found") return null;
      throw error;
    }
  }
  /** The first page of files (alias of `list`'s items). */
  async getFiles(query?: ListFilesQuery, options?: CallOptions): Promise<FileRecord[]> {
    return (await this.list(query, options)).items;
  }
  /** Alias of `remove` for one path (the path may start with `/`). */
  async deleteFile(filePath: string, options?: CallOptions): Promise<void> {
    await this.remove(relative(filePath), options);
  }

  #project(): Promise<string> {
    this.#projectId ??= request<{ project_id: string }>(this.core, "GET", "/v1/auth/me").then(
      (me) => me.project_id,
      (error: unknown) => {
        this.#projectId = null;
        throw error;
      },
    );
    return this.#projectId;
  }

  async #send(
    method: "PUT" | "POST",
    url: string,
    extra: Record<string, string>,
    body: UploadBody,
    options: UploadOptions,
  ): Promise<FileRecord> {
    const prepared: PreparedBody = prepareBody(body, options.contentType, options.size);
    const headers: Record<string, string> = {
      ...extra,
      "Content-Type": prepared.contentType,
      ...metadataHeader(options.metadata),
    };
    if (options.ifMatch) headers["If-Match"] = `"${options.ifMatch.replace(/^"|"$/g, "")}"`;
    if (options.createOnly) headers["If-None-Match"] = "*";
    const onProgress = options.onProgress;
    if (onProgress && hasXhr() && !(prepared.body instanceof ReadableStream)) {
      const auth = await this.core.authHeaders();
      return xhrUpload(method, this.core.url + url, { ...auth, ...headers }, prepared, onProgress, options.signal);
    }
    let sent: PreparedBody["body"] = prepared.body;
    if (onProgress || sent instanceof ReadableStream) {
      // A stream's length must be stated: fetch cannot know it (browsers ignore the header and
      // stream only over HTTP/2; Node sends it).
      headers["Content-Length"] = String(prepared.size);
      sent = onProgress ? countingStream(prepared, onProgress) : sent;
    }
    return request<FileRecord>(this.core, method, url, {
      signal: options.signal,
      // Big files take longer than the default request timeout: wait unless told otherwise.
      timeoutMs: options.timeoutMs ?? 0,
      headers,
      body: sent,
    });
  }
}
