// Invalid UTF-8 in a WebSocket text frame, sent over a raw TCP socket to a channel, a room and a
// watcher. RFC 6455 (section 8.1) wants the connection failed with 1007; the runtime instead hands
// the object a string already decoded with U+FFFD for every invalid sequence, so the hub cannot tell
// invalid bytes from a real U+FFFD the client sent. These tests pin what happens instead
// (docs/protocol.md#invalid-utf-8): the frame is read as decoded, JSON or not, and the connection
// stays open; nothing is closed with 1007.
import { describe, expect, it } from "vitest";
import { SUBPROTOCOL, SUBPROTOCOL_KEY_PREFIX } from "../../core/protocol/envelope";
import { baseUrl, createTestProject } from "./helpers";
import { RawWebSocket } from "./raw-websocket";

const INVALID = [0xff, 0xfe, 0xc0, 0xaf]; // bytes that never occur in UTF-8, and an overlong "/"
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))));

async function open(path: string, key: string, asHeader = false): Promise<RawWebSocket> {
  const url = `${baseUrl()}${path}`;
  const socket = asHeader
    ? await RawWebSocket.open(url, [SUBPROTOCOL], { "X-API-Key": key })
    : await RawWebSocket.open(url, [SUBPROTOCOL, `${SUBPROTOCOL_KEY_PREFIX}${key}`]);
  expect((await socket.nextJson()).type).toBe("hello");
  return socket;
}

/** Invalid bytes where JSON has no string: an `invalid_frame` error, and the socket still answers. */
async function expectReadAsNotJsonAndStillOpen(socket: RawWebSocket): Promise<void> {
  socket.sendTextBytes(bytes(INVALID));
  expect(await socket.nextJson()).toMatchObject({ type: "error", ref: null, code: "invalid_frame" });
  socket.sendTextBytes(bytes('{"v":1,"type":"ping","ref":7}'));
  expect(await socket.nextJson()).toEqual({ v: 1, type: "pong", ref: 7 });
}

describe("invalid UTF-8 in a text frame", () => {
  it("on a channel: a string with invalid bytes is published with U+FFFD for each; no 1007", async () => {
    const { project } = await createTestProject();
    const socket = await open("/v1/realtime/channels/utf8?client_id=raw", project.keys.public);
    try {
      await expectReadAsNotJsonAndStillOpen(socket);
      socket.sendTextBytes(bytes('{"v":1,"type":"publish","ref":1,"id":"m1","name":"x","data":"a', INVALID, 'b"}'));
      const frames = [await socket.nextJson(), await socket.nextJson()];
      expect(frames).toContainEqual(expect.objectContaining({ type: "ack", ref: 1, id: "m1" }));
      const delivered = frames.find((frame) => frame.type === "messages") as { items: { data: unknown }[] };
      expect(delivered.items[0]?.data).toBe("a\uFFFD\uFFFD\uFFFD\uFFFDb");
    } finally {
      socket.destroy();
    }
  });

  it("in a room: a chat message with invalid bytes is stored with U+FFFD; no 1007", async () => {
    const { project } = await createTestProject();
    const socket = await open("/v1/realtime/rooms/utf8?client_id=raw&mode=create", project.keys.public);
    try {
      await expectReadAsNotJsonAndStillOpen(socket);
      socket.sendTextBytes(bytes('{"v":1,"type":"message","ref":1,"id":"m1","content":"a', INVALID, '"}'));
      const frames = [await socket.nextJson(), await socket.nextJson()];
      expect(frames).toContainEqual(expect.objectContaining({ type: "ack", ref: 1, id: "m1" }));
      const delivered = frames.find((frame) => frame.type === "messages") as { items: { content: unknown }[] };
      expect(delivered.items[0]?.content).toBe("a\uFFFD\uFFFD\uFFFD\uFFFD");
    } finally {
      socket.destroy();
    }
  });

  it("on a watcher: the frame is read as decoded and the connection stays open; no 1007", async () => {
    const { project } = await createTestProject();
    const socket = await open("/v1/realtime/collections/notes?client_id=raw", project.keys.secret, true);
    try {
      expect((await socket.nextJson()).type).toBe("synced"); // a watcher's second frame
      await expectReadAsNotJsonAndStillOpen(socket);
    } finally {
      socket.destroy();
    }
  });
});
