// The tunnel's life: connect, serve until the socket closes, wait, connect again; until the CLI
// is stopped, or the server says reconnecting cannot help (bad key, no such endpoint, or another
// CLI took the label over).
import { CLOSE_CODES } from "../../core/protocol/close-codes.js";
import { SUBPROTOCOL, SUBPROTOCOL_KEY_PREFIX } from "../../core/protocol/envelope.js";
import type { Connection } from "../connection.js";
import { CliError, EXIT } from "../exit.js";
import { BACKOFF, reconnectDelay } from "./backoff.js";
import type { LocalTarget } from "./local-stream.js";
import { requestLine } from "./request-line.js";
import { runSession, type SessionEnd } from "./session.js";

/** Closes after which reconnecting would only be refused again. */
const FINAL_CLOSE_CODES = new Set<number>([
  CLOSE_CODES.bad_request,
  CLOSE_CODES.unauthorized,
  CLOSE_CODES.forbidden,
  CLOSE_CODES.invalid_channel,
  CLOSE_CODES.tunnel_replaced,
]);

export interface ServeOptions {
  connection: Connection;
  label: string;
  target: LocalTarget;
  signal: AbortSignal;
  out: (line: string) => void;
}

/** Serves the label until `signal` aborts (resolves) or the server refuses for good (throws). */
export async function serveTunnel({ connection, label, target, signal, out }: ServeOptions): Promise<void> {
  const url = `${connection.url.replace(/^http/, "ws")}/v1/tunnels/${encodeURIComponent(label)}/connect`;
  const publicUrl = `${connection.url}/v1/proxy/${label}/`;
  const local = `http://${target.host}:${target.port}`;
  let attempt = 0;
  while (!signal.aborted) {
    const startedAt = Date.now();
    const end = await runSession(
      {
        url,
        protocols: [SUBPROTOCOL, `${SUBPROTOCOL_KEY_PREFIX}${connection.secretKey}`],
        target,
        onOpen: () => out(`tunnel "${label}" online: ${publicUrl} -> ${local}`),
        onRequest: (report) => out(requestLine(report)),
      },
      signal,
    );
    if (signal.aborted) return;
    if (FINAL_CLOSE_CODES.has(end.code)) {
      throw new CliError(`the server closed the tunnel: ${describe(end)}`, EXIT.failure);
    }
    // A connection that lasted was fine: the waits start over.
    attempt = end.opened && Date.now() - startedAt >= BACKOFF.stableMs ? 1 : attempt + 1;
    const delay = reconnectDelay(attempt);
    out(
      `tunnel "${label}" ${end.opened ? "disconnected" : "could not connect"} (${describe(end)}); reconnecting in ${(delay / 1000).toFixed(1)} s`,
    );
    await sleep(delay, signal);
  }
}

function describe(end: SessionEnd): string {
  if (end.error) return `${end.error.code}: ${end.error.message}`;
  return end.reason ? `${end.code} ${end.reason}` : `code ${end.code}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
