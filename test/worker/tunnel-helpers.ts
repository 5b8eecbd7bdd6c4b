import { env } from "cloudflare:workers";
import {
  dataPieces,
  decodeTunnelFrame,
  encodeTunnelFrame,
  type TunnelFrame,
  type TunnelResponseHead,
} from "../../core/protocol/tunnel";
import { CONNECT_URL, tunnelStub } from "../../durable-objects/tunnel/tunnel-address";
import { forwardToTunnel } from "../../worker/endpoints/forward-to-tunnel";

/** How long a helper waits for a frame or a close before failing with what it was waiting for. */
const WAIT_MS = 5000;

type FrameOf<T extends TunnelFrame["type"]> = Extract<TunnelFrame, { type: T }>;

export function uniqueLabel(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A tunnel target of its own for one test: a random project id and label. */
export function uniqueTunnel() {
  return { projectId: `p${crypto.randomUUID().slice(0, 12)}`, label: uniqueLabel() };
}

export function stubOf(target: { projectId: string; label: string }) {
  return tunnelStub(env, target.projectId, target.label);
}

/**
 * The CLI's end of a tunnel, driven by hand: the test reads the object's frames in order and
 * answers with real frames, so every rule of the protocol can be exercised (and broken) on purpose.
 */
export class TestCli {
  readonly frames: TunnelFrame[] = [];
  /** Text messages received (an `error` frame before a close). */
  readonly texts: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.accept();
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (event) => {
        resolve({ code: event.code, reason: event.reason });
        this.#wake();
      });
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data === "string") this.texts.push(event.data);
      else this.frames.push(decodeTunnelFrame(event.data as ArrayBuffer));
      this.#wake();
    });
  }

  /** Takes the next frame of `type` (optionally of one stream), skipping none of the others' order. */
  async next<T extends TunnelFrame["type"]>(type: T, stream?: number, timeoutMs = WAIT_MS): Promise<FrameOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((f) => f.type === type && (stream === undefined || f.stream === stream));
      if (index >= 0) return this.frames.splice(index, 1)[0] as FrameOf<T>;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`Timed out waiting for a ${type} frame; queued: ${this.frames.map((f) => f.type).join(",")}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Reads a whole request body (its `data` frames up to `end`), granting window as it goes. */
  async readBody(stream: number, grant = true): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const index = this.frames.findIndex((f) => f.stream === stream && (f.type === "data" || f.type === "end"));
      if (index < 0) {
        await this.#waitAny();
        continue;
      }
      const frame = this.frames.splice(index, 1)[0] as TunnelFrame;
      if (frame.type === "end") return concat(parts);
      if (frame.type === "data") {
        parts.push(frame.bytes);
        if (grant) this.send({ type: "window", stream, bytes: frame.bytes.byteLength });
      }
    }
  }

  send(frame: TunnelFrame): void {
    this.ws.send(encodeTunnelFrame(frame));
  }

  /** Answers a stream: head, the body in pieces, end. */
  respond(stream: number, head: TunnelResponseHead, body: Uint8Array | string = ""): void {
    this.send({ type: "response", stream, head });
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    for (const piece of dataPieces(bytes)) this.send({ type: "data", stream, bytes: piece });
    this.send({ type: "end", stream });
  }

  close(code = 1000): void {
    try {
      this.ws.close(code, "test");
    } catch {
      // closed already
    }
  }

  async #waitAny(timeoutMs = WAIT_MS): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("Timed out waiting for a frame")), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** Connects a CLI straight to the object, as the Worker's connect route hands it over. */
export async function connectCli(target: { projectId: string; label: string }): Promise<TestCli> {
  const response = await stubOf(target).fetch(CONNECT_URL, { headers: { Upgrade: "websocket" } });
  if (response.status !== 101 || !response.webSocket) throw new Error(`connect: ${response.status}`);
  return new TestCli(response.webSocket);
}

/** Sends a request through the tunnel as the proxy does; resolves to its response or typed error. */
export function callTunnel(
  target: { projectId: string; label: string },
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  return forwardToTunnel(env, target, new Request(`https://upstream.test${path}`, init));
}

/** The typed error a tunnel call ends with. */
export async function tunnelError(call: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await call;
  } catch (error) {
    const { code, status } = error as { code: string; status: number };
    return { code, status };
  }
  throw new Error("The call did not fail.");
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** A SHA-256 hex digest: comparing big bodies by digest keeps a failure message short and the test fast. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
