// The CLI's one way to call the REST API: JSON in and out, the error envelope turned into a
// CliError with an exit code CI can branch on, and retries with backoff for what a retry can fix
// (the network, 5xx, 429).
import type { Connection } from "./connection.js";
import { CliError, EXIT } from "./exit.js";

export interface RequestOptions {
  json?: unknown;
  body?: Uint8Array;
  headers?: Record<string, string>;
  /** Attempts in all, the first included. */
  attempts?: number;
  /** Per attempt. */
  timeoutMs?: number;
}

const RETRY_BASE_MS = 250;

/** The server's error envelope, or null when the body is not one. */
function errorOf(text: string): { code: string; message: string } | null {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === "string" && typeof parsed.error.message === "string") {
      return { code: parsed.error.code, message: parsed.error.message };
    }
  } catch {
    // not JSON: reported as the status below
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `method path` on the server and answers the status and the parsed JSON body.
 *
 * @throws {CliError} `EXIT.failure` for a 4xx (the server's message and code), `EXIT.unavailable`
 * when the server cannot be reached or answers 5xx after every attempt.
 */
export async function call<T>(
  connection: Connection,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<{ status: number; body: T }> {
  const attempts = options.attempts ?? 4;
  const headers: Record<string, string> = { "X-API-Key": connection.secretKey, ...options.headers };
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  let lastProblem = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(RETRY_BASE_MS * 2 ** (attempt - 2) * (0.5 + Math.random()));
    let response: Response;
    try {
      response = await fetch(`${connection.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: body as BodyInit } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      lastProblem = `${method} ${path}: ${(error as Error).cause ?? (error as Error).message}`;
      continue;
    }
    const text = await response.text();
    if (response.status >= 500 || response.status === 429) {
      lastProblem = `${method} ${path} answered ${response.status}${errorOf(text) ? `: ${errorOf(text)?.message}` : ""}`;
      continue;
    }
    if (response.status >= 400) {
      const error = errorOf(text);
      throw new CliError(
        error ? `${error.message} (${error.code}, ${method} ${path})` : `${method} ${path} answered ${response.status}`,
        EXIT.failure,
      );
    }
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }
  throw new CliError(`${lastProblem} (after ${attempts} attempts)`, EXIT.unavailable);
}
