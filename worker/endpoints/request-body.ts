import { ApiError } from "../../core/errors";

/** The body-too-large refusal of one endpoint. */
export function bodyTooLarge(label: string, maxBytes: number): ApiError {
  return new ApiError(
    "payload_too_large",
    `The request body is larger than endpoint "${label}" accepts (${maxBytes} bytes).`,
    { label, max_bytes: maxBytes },
  );
}

/** The request body to forward, and how to tell afterwards that it was cut for being too large. */
export interface ForwardedBody {
  body: ReadableStream<Uint8Array> | null;
  /** True once the body passed the limit (the upstream request then fails). */
  overLimit(): boolean;
}

/**
 * The caller's body, streamed (never read whole) and held to `maxBytes`. A declared
 * `Content-Length` is checked before anything is sent, and the runtime holds the body to it, so
 * such a body passes through untouched. A chunked body is counted as it streams; when it passes
 * the limit, `cut` is called (it must abort the upstream request) and the stream stops there
 * without ending: an ended stream would tell the upstream the body was complete.
 *
 * @throws {ApiError} `payload_too_large` when the declared length is over the limit.
 */
export function forwardedBody(
  request: Request,
  label: string,
  maxBytes: number,
  cut: (reason: ApiError) => void,
): ForwardedBody {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw bodyTooLarge(label, maxBytes);
  if (!request.body) return { body: null, overLimit: () => false };
  if (declared !== null) return { body: request.body, overLimit: () => false };
  let seen = 0;
  let over = false;
  const counted = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (over) return;
        if (seen > maxBytes) {
          over = true;
          cut(bodyTooLarge(label, maxBytes));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return { body: counted, overLimit: () => over };
}
