import type { FileMetadata } from "../../core/files/wire.js";
import { FlarebaseError } from "../errors.js";

/** What an upload accepts: bytes in memory, a Blob/File, a string (UTF-8), or a stream of known size. */
export type UploadBody = Blob | ArrayBuffer | ArrayBufferView | string | ReadableStream<Uint8Array>;

/** Progress of an upload: bytes sent so far, of the total. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** A body with its size and type resolved, ready to send. */
export interface PreparedBody {
  body: Blob | Uint8Array | ReadableStream<Uint8Array>;
  size: number;
  contentType: string;
}

/**
 * Resolves a body's size (the server needs `Content-Length` before it reads a byte) and content
 * type: `contentType`, else a Blob's own type, else `application/octet-stream`.
 *
 * @throws {TypeError} for a stream without `size`.
 */
export function prepareBody(body: UploadBody, contentType: string | undefined, size: number | undefined): PreparedBody {
  if (typeof body === "string") {
    const bytes = new TextEncoder().encode(body);
    return { body: bytes, size: bytes.byteLength, contentType: contentType ?? "text/plain; charset=utf-8" };
  }
  if (typeof Blob !== "undefined" && body instanceof Blob) {
    return { body, size: body.size, contentType: contentType ?? (body.type || "application/octet-stream") };
  }
  if (body instanceof ArrayBuffer) {
    return {
      body: new Uint8Array(body),
      size: body.byteLength,
      contentType: contentType ?? "application/octet-stream",
    };
  }
  if (ArrayBuffer.isView(body)) {
    const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    return { body: bytes, size: bytes.byteLength, contentType: contentType ?? "application/octet-stream" };
  }
  if (size === undefined) {
    throw new TypeError(
      "Flarebase: uploading a ReadableStream needs its size in bytes: upload(path, stream, { size }).",
    );
  }
  return { body, size, contentType: contentType ?? "application/octet-stream" };
}

/**
 * The metadata header: JSON with every non-ASCII character escaped, since header values are
 * bytes and the server reads them as Latin-1.
 */
export function metadataHeader(metadata: FileMetadata | undefined): Record<string, string> {
  if (!metadata || Object.keys(metadata).length === 0) return {};
  const json = JSON.stringify(metadata).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return { "X-Flarebase-Metadata": json };
}

/** Reads a body in slices and reports each one as sent: upload progress where XHR is absent (Node). */
export function countingStream(
  prepared: PreparedBody,
  onProgress: (progress: UploadProgress) => void,
): ReadableStream<Uint8Array> {
  const total = prepared.size;
  let loaded = 0;
  const source =
    prepared.body instanceof ReadableStream
      ? prepared.body
      : typeof Blob !== "undefined" && prepared.body instanceof Blob
        ? prepared.body.stream()
        : sliceStream(prepared.body as Uint8Array);
  const reader = source.getReader();
  onProgress({ loaded, total });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      loaded += value.byteLength;
      controller.enqueue(value);
      onProgress({ loaded, total });
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** 256 KiB slices of an in-memory body, so progress moves in steps. */
function sliceStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  const step = 256 * 1024;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(offset, offset + step));
      offset += step;
    },
  });
}

/** True in a browser page or worker with XMLHttpRequest (the one way to get upload progress there). */
export const hasXhr = () => typeof XMLHttpRequest !== "undefined";

/**
 * Sends an upload with XMLHttpRequest, for `upload.onprogress`: fetch reports no upload progress
 * in browsers.
 *
 * @throws {FlarebaseError} like the fetch path: the server's error, or `network_error` / `aborted`.
 */
export function xhrUpload<T>(
  method: "PUT" | "POST",
  url: string,
  headers: Record<string, string>,
  prepared: PreparedBody,
  onProgress: (progress: UploadProgress) => void,
  signal: AbortSignal | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: prepared.size });
    const fail = (code: "network_error" | "aborted", message: string) =>
      reject(new FlarebaseError({ status: 0, code, message, url }));
    xhr.onerror = () => fail("network_error", `Could not reach the Flarebase server (${method} ${url}).`);
    xhr.onabort = () => fail("aborted", `${method} ${url} was aborted by the caller's AbortSignal.`);
    xhr.onload = () => {
      let body: { error?: { code: string; message: string; details?: unknown } } | undefined;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        onProgress({ loaded: prepared.size, total: prepared.size });
        resolve(body as T);
        return;
      }
      reject(
        new FlarebaseError({
          status: xhr.status,
          code: body?.error?.code ?? "invalid_response",
          message: body?.error?.message ?? `${method} ${url} answered ${xhr.status} without a Flarebase body.`,
          details: body?.error?.details,
          requestId: xhr.getResponseHeader("X-Request-Id"),
          url,
        }),
      );
    };
    if (signal?.aborted) {
      fail("aborted", `${method} ${url} was aborted by the caller's AbortSignal.`);
      return;
    }
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(prepared.body instanceof ReadableStream ? null : (prepared.body as XMLHttpRequestBodyInit));
  });
}
