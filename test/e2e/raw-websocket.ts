// A WebSocket client on a plain TCP socket, for what no WebSocket library lets a test send: text
// frames whose payload is not valid UTF-8 (RFC 6455 frames, masked as a client's must be).
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/** A frame from the server: a text message, or its Close frame. */
export type ServerFrame = { kind: "text"; text: string } | { kind: "close"; code: number | null; reason: string };

const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;

export class RawWebSocket {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #frames: ServerFrame[] = [];
  #waiting: (() => void) | null = null;
  #ended = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  /**
   * Connects to `url` (http://host:port/path?query), offers `protocols`, sends `headers`, and
   * resolves once the server answered 101.
   */
  static async open(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<RawWebSocket> {
    const target = new URL(url);
    const socket = connect(Number(target.port), target.hostname);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    socket.write(
      `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocols.join(", ")}\r\n` +
        Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join("") +
        "\r\n",
    );
    let head = Buffer.alloc(0);
    while (!head.includes("\r\n\r\n")) {
      const chunk = await new Promise<Buffer>((resolve, reject) =>
        socket.once("data", resolve).once("close", () => reject(new Error("closed during the handshake"))),
      );
      head = Buffer.concat([head, chunk]);
    }
    const end = head.indexOf("\r\n\r\n");
    const status = head.subarray(0, head.indexOf("\r\n")).toString();
    if (!status.includes(" 101 ")) throw new Error(`upgrade refused: ${status}`);
    const raw = new RawWebSocket(socket);
    raw.#buffer = head.subarray(end + 4);
    raw.#parse();
    return raw;
  }

  /** Sends `payload`, as it is, in one masked text frame. */
  sendTextBytes(payload: Uint8Array): void {
    const mask = randomBytes(4);
    const length = payload.length;
    const header =
      length < 126
        ? Buffer.from([0x80 | OPCODE_TEXT, 0x80 | length])
        : Buffer.from([0x80 | OPCODE_TEXT, 0x80 | 126, length >> 8, length & 0xff]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
    this.#socket.write(Buffer.concat([header, mask, masked]));
  }

  /** The next frame from the server, or null when the connection ended without one. */
  async next(timeoutMs = 10_000): Promise<ServerFrame | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0 && !this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame from the server within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#frames.shift() ?? null;
  }

  /** The next text frame parsed as JSON; throws on a Close or the end. */
  async nextJson(timeoutMs?: number): Promise<Record<string, unknown>> {
    const frame = await this.next(timeoutMs);
    if (frame?.kind !== "text") throw new Error(`expected a text frame, got ${JSON.stringify(frame)}`);
    return JSON.parse(frame.text);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #parse(): void {
    while (this.#buffer.length >= 2) {
      const opcode = (this.#buffer[0] as number) & 0x0f;
      let length = (this.#buffer[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) return;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.#buffer.length < offset + length) return;
      const payload = this.#buffer.subarray(offset, offset + length);
      this.#buffer = this.#buffer.subarray(offset + length);
      if (opcode === OPCODE_TEXT) this.#frames.push({ kind: "text", text: payload.toString("utf8") });
      if (opcode === OPCODE_CLOSE) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
        this.#frames.push({ kind: "close", code, reason: payload.subarray(2).toString("utf8") });
      }
      this.#wake();
    }
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.();
  }
}
