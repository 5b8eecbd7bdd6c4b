import { DurableObject } from "cloudflare:workers";
import { ApiError } from "../../core/errors";
import { isReservedCloseCode } from "../../core/protocol/close-codes";
import { HEARTBEAT_PING, HEARTBEAT_PONG, SUBPROTOCOL } from "../../core/protocol/envelope";
import {
  decodeTunnelFrame,
  encodeTunnelFrame,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  MAX_STREAM_ID,
  MAX_STREAMS,
  type TunnelFrame,
  TunnelProtocolError,
  type TunnelRequestHead,
} from "../../core/protocol/tunnel";
import type { TunnelLogEntry, TunnelStatus } from "../../core/rest/tunnels";
import { errorFrameOf } from "../hub/frames";
import { REQUEST_LOG_SIZE, RequestLog } from "./request-log";
import { REQUEST_PREFIX, TUNNEL_ERROR_HEADER } from "./tunnel-address";
import { type StreamHost, type StreamSummary, TunnelStream } from "./tunnel-stream";

/** The tag of the CLI's socket: the object holds at most one. */
const CLI_TAG = "cli";

/** What the runtime keeps with the CLI's socket across hibernation. */
interface CliAttachment {
  v: 1;
  connected_at: number;
}

/** Statuses whose responses have no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Request headers that describe the hop to this object, not the request to forward. */
const HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "host"]);

/**
 * One tunnel: the WebSocket of the `flarebase tunnel` CLI serving one label of one project, and
 * the requests in flight through it (docs/endpoints.md#tunnel).
 *
 * - The socket is hibernatable and the heartbeat is answered by the runtime, so an idle tunnel
 *   costs nothing; requests in flight keep the object awake (as they must: it streams them).
 * - Each request is a stream (tunnel-stream.ts) multiplexed over the socket as binary frames
 *   (core/protocol/tunnel.ts), with a window per direction.
 * - A CLI connecting for the label takes over at once: the previous socket is told why and closed,
 *   its requests end with 502 `tunnel_disconnected`. With no CLI, requests get 503 `tunnel_offline`.
 * - A CLI that goes silent while requests are in flight is taken for dead after
 *   {@link HEARTBEAT_TIMEOUT_MS}, so no request waits forever on a vanished machine.
 */
export class TunnelObject extends DurableObject<Env> implements StreamHost {
  readonly #log: RequestLog;
  readonly #streams = new Map<number, TunnelStream>();
  /** Stream ids start at a random point after every wake-up, so a late frame of an old stream never lands on a new one. */
  #nextStreamId = 1 + Math.floor(Math.random() * (MAX_STREAM_ID / 2));
  #livenessTimer: ReturnType<typeof setInterval> | null = null;
  /** When the CLI was last heard from (a message) by this instance. */
  #lastHeard = new WeakMap<WebSocket, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG));
    this.#log = new RequestLog(ctx.storage.sql);
  }

  /**
   * From the Worker only (worker/routes/tunnels.ts, worker/endpoints/forward-to-tunnel.ts): a CLI's
   * WebSocket upgrade, or a request to forward (its URL's path after {@link REQUEST_PREFIX}).
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") return this.#connect();
    const url = new URL(request.url);
    if (!url.pathname.startsWith(REQUEST_PREFIX)) return new Response("Not a tunnel route.", { status: 404 });
    return this.#forward(request, `${url.pathname.slice(REQUEST_PREFIX.length) || "/"}${url.search}`);
  }

  /** Whether a CLI is connected, since when, and how many requests are going through. */
  status(label: string): TunnelStatus {
    const cli = this.#cli();
    const attachment = cli ? readAttachment(cli) : null;
    return {
      label,
      online: cli !== null,
      connected_at: attachment ? new Date(attachment.connected_at).toISOString() : null,
      in_flight: this.#streams.size,
    };
  }

  /** The newest entries of the request log, newest first. */
  requestLog(limit = REQUEST_LOG_SIZE): TunnelLogEntry[] {
    return this.#log.latest(Math.min(Math.max(1, limit), REQUEST_LOG_SIZE));
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Text is only ever the heartbeat, which the runtime answers before it gets here.
    if (typeof message === "string") return;
    this.#lastHeard.set(ws, Date.now());
    let frame: TunnelFrame;
    try {
      frame = decodeTunnelFrame(message);
    } catch (error) {
      if (!(error instanceof TunnelProtocolError)) throw error;
      this.#drop(ws, new ApiError("invalid_frame", `The tunnel sent an invalid frame: ${error.message}`));
      return;
    }
    const stream = this.#streams.get(frame.stream);
    // Frames of a stream that is over already (a reset crossed them on the wire) are dropped.
    if (stream && stream.socket === ws) stream.onFrame(frame);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#disconnected(ws);
    if (!isReservedCloseCode(code)) {
      try {
        ws.close(code, reason);
      } catch {
        // Closed already.
      }
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#disconnected(ws);
  }

  // ===== StreamHost

  send(frame: TunnelFrame): boolean {
    const stream = this.#streams.get(frame.stream);
    const socket = stream?.socket ?? this.#cli();
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    try {
      socket.send(encodeTunnelFrame(frame));
      return true;
    } catch {
      return false;
    }
  }

  finished(stream: TunnelStream, summary: StreamSummary): void {
    if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
    if (this.#streams.size === 0) this.#stopLivenessCheck();
    this.#log.record(summary);
  }

  // ===== Internals

  #connect(): Response {
    // A new CLI for the label wins: whatever held it before (a crashed machine's socket that has
    // not timed out yet, or a second CLI) is closed, so the label is never stuck "in use".
    for (const stale of this.ctx.getWebSockets(CLI_TAG)) {
      this.#drop(
        stale,
        new ApiError("tunnel_replaced", "Another `flarebase tunnel` connected for this label and took over."),
      );
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [CLI_TAG]);
    server.serializeAttachment({ v: 1, connected_at: Date.now() } satisfies CliAttachment);
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": SUBPROTOCOL } });
  }

  async #forward(request: Request, path: string): Promise<Response> {
    const cli = this.#cli();
    if (!cli) {
      return errorResponse(
        new ApiError("tunnel_offline", "No `flarebase tunnel` is connected for this endpoint; start it and retry."),
      );
    }
    if (this.#streams.size >= MAX_STREAMS) {
      return errorResponse(
        new ApiError("rate_limited", `The tunnel carries at most ${MAX_STREAMS} requests at once; retry shortly.`, {
          max_in_flight: MAX_STREAMS,
          retry_after_ms: 1000,
        }),
        { "Retry-After": "1" },
      );
    }
    const head: TunnelRequestHead = { method: request.method, path, headers: forwardedHeaders(request.headers) };
    const stream = new TunnelStream(this.#allocateStreamId(), cli, head, this);
    this.#streams.set(stream.id, stream);
    this.#startLivenessCheck();
    // The request body must be read to its end before the response is returned (workerd cannot
    // read a request body after the response is sent), so both are awaited.
    const sent = stream.sendRequest(request.body);
    try {
      const [response] = await Promise.all([stream.response, sent]);
      const bodyless = request.method === "HEAD" || NULL_BODY_STATUSES.has(response.status);
      if (bodyless) stream.discardBody();
      return new Response(bodyless ? null : stream.body, {
        status: response.status,
        headers: response.headers,
        // The local server's bytes go on as they are: an encoded body stays encoded, never twice.
        encodeBody: "manual",
      });
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      throw error;
    }
  }

  #allocateStreamId(): number {
    for (;;) {
      const id = this.#nextStreamId;
      this.#nextStreamId = id >= MAX_STREAM_ID ? 1 : id + 1;
      if (!this.#streams.has(id)) return id;
    }
  }

  /** The CLI's open socket, if one is connected. */
  #cli(): WebSocket | null {
    for (const ws of this.ctx.getWebSockets(CLI_TAG)) if (ws.readyState === WebSocket.OPEN) return ws;
    return null;
  }

  /** Closes a socket from this side, saying why first (a text `error` frame), and ends its requests. */
  #drop(ws: WebSocket, error: ApiError): void {
    try {
      ws.send(errorFrameOf(null, error));
      ws.close(error.closeCode, error.code);
    } catch {
      // Closed already.
    }
    this.#disconnected(ws);
  }

  /** The socket is gone: every request that was going through it ends with a typed 502. */
  #disconnected(ws: WebSocket): void {
    for (const stream of [...this.#streams.values()]) if (stream.socket === ws) stream.disconnected();
  }

  /**
   * While requests are in flight, checks that the CLI is still there: a machine that vanished
   * (network gone, laptop asleep) sends no close, and its requests would otherwise wait forever.
   */
  #startLivenessCheck(): void {
    if (this.#livenessTimer !== null) return;
    this.#livenessTimer = setInterval(() => {
      const now = Date.now();
      for (const ws of this.ctx.getWebSockets(CLI_TAG)) {
        const heard = Math.max(
          this.#lastHeard.get(ws) ?? 0,
          this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0,
          readAttachment(ws)?.connected_at ?? 0,
        );
        if (now - heard > HEARTBEAT_TIMEOUT_MS) {
          this.#drop(ws, new ApiError("heartbeat_timeout", "The tunnel was silent past its heartbeat deadline."));
        }
      }
    }, HEARTBEAT_INTERVAL_MS);
  }

  #stopLivenessCheck(): void {
    if (this.#livenessTimer === null) return;
    clearInterval(this.#livenessTimer);
    this.#livenessTimer = null;
  }
}

function readAttachment(ws: WebSocket): CliAttachment | null {
  const value = ws.deserializeAttachment() as Partial<CliAttachment> | null;
  return value?.v === 1 && typeof value.connected_at === "number" ? (value as CliAttachment) : null;
}

function forwardedHeaders(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of headers) if (!HOP_HEADERS.has(name)) pairs.push([name, value]);
  return pairs;
}

function errorResponse(error: ApiError, headers: Record<string, string> = {}): Response {
  return Response.json(error.toBody(), {
    status: error.status,
    headers: { [TUNNEL_ERROR_HEADER]: "1", ...headers },
  });
}
