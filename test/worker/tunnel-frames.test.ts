import { describe, expect, it } from "vitest";
import {
  decodeTunnelFrame,
  encodeTunnelFrame,
  INITIAL_WINDOW_BYTES,
  MAX_DATA_BYTES,
  MAX_FRAME_BYTES,
  type TunnelFrame,
  TunnelProtocolError,
  WINDOW_UPDATE_THRESHOLD,
} from "../../core/protocol/tunnel";
import { ReceiveWindow, SendWindow } from "../../core/protocol/tunnel-window";

describe("tunnel frames", () => {
  it("round-trips every frame type", () => {
    const frames: TunnelFrame[] = [
      { type: "request", stream: 1, head: { method: "POST", path: "/a?b=c", headers: [["x-a", "1"]] } },
      { type: "response", stream: 0xffff_ffff, head: { status: 200, headers: [["set-cookie", "a=1"]] } },
      { type: "data", stream: 7, bytes: new Uint8Array([0, 1, 2, 255]) },
      { type: "end", stream: 7 },
      { type: "reset", stream: 7, reset: { reason: "cancelled", message: "gone" } },
      { type: "window", stream: 7, bytes: 123_456 },
    ];
    for (const frame of frames) expect(decodeTunnelFrame(encodeTunnelFrame(frame))).toEqual(frame);
  });

  it("keeps every frame far below the 1 MiB message limit", () => {
    expect(MAX_FRAME_BYTES).toBeLessThan((1024 * 1024) / 8);
    expect(() => encodeTunnelFrame({ type: "data", stream: 1, bytes: new Uint8Array(MAX_DATA_BYTES + 1) })).toThrow(
      RangeError,
    );
    const huge = {
      type: "request",
      stream: 1,
      head: { method: "GET", path: "/", headers: [["x", "y".repeat(70_000)]] },
    };
    expect(() => encodeTunnelFrame(huge as TunnelFrame)).toThrow(RangeError);
  });

  it("refuses what is not a frame", () => {
    const bad = [
      new Uint8Array([3, 0, 0]), // shorter than the header
      new Uint8Array([99, 0, 0, 0, 1]), // unknown type
      new Uint8Array([4, 0, 0, 0, 0]), // stream 0
      new Uint8Array([4, 0, 0, 0, 1, 9]), // end with a payload
      new Uint8Array([6, 0, 0, 0, 1, 0, 0, 0, 0]), // a window of 0
      new Uint8Array([1, 0, 0, 0, 1, 123]), // not JSON
      encodeTunnelFrame({ type: "data", stream: 1, bytes: new Uint8Array(0) })
        .slice(0, 5)
        .fill(2, 0, 1), // empty head
      new Uint8Array(MAX_FRAME_BYTES + 1).fill(3, 0, 1),
    ];
    for (const bytes of bad) expect(() => decodeTunnelFrame(bytes)).toThrow(TunnelProtocolError);
    const badHead = new TextEncoder().encode(JSON.stringify({ status: 99, headers: [] }));
    const frame = new Uint8Array(5 + badHead.byteLength);
    frame.set([2, 0, 0, 0, 1]);
    frame.set(badHead, 5);
    expect(() => decodeTunnelFrame(frame)).toThrow(/Invalid response frame/);
  });
});

describe("tunnel windows", () => {
  it("lets a sender use the window to the byte, then waits for a grant", async () => {
    const window = new SendWindow();
    expect(await window.take(INITIAL_WINDOW_BYTES - 10)).toBe(INITIAL_WINDOW_BYTES - 10);
    expect(await window.take(100)).toBe(10);
    let granted = 0;
    const waiting = window.take(100).then((bytes) => {
      granted = bytes;
    });
    await Promise.resolve();
    expect(granted).toBe(0);
    window.grant(40);
    await waiting;
    expect(granted).toBe(40);
    window.fail(new Error("over"));
    await expect(window.take(1)).rejects.toThrow("over");
  });

  it("refuses bytes beyond the window and grants in batches", () => {
    const window = new ReceiveWindow();
    expect(window.receive(INITIAL_WINDOW_BYTES)).toBe(true);
    expect(window.receive(1)).toBe(false);
    expect(window.handedOn(WINDOW_UPDATE_THRESHOLD - 1)).toBe(0);
    expect(window.handedOn(1)).toBe(WINDOW_UPDATE_THRESHOLD);
    expect(window.receive(WINDOW_UPDATE_THRESHOLD)).toBe(true);
    expect(window.receive(1)).toBe(false);
  });
});
