import { describe, expect, it } from "vitest";
import { ApiError } from "../../core/errors";
import { ChannelServerFrame, type Message } from "../../core/protocol/channel";
import { HEARTBEAT_PING, HEARTBEAT_PONG } from "../../core/protocol/envelope";
import type { RoomItem } from "../../core/protocol/room";
import { RoomServerFrame } from "../../core/protocol/room";
import type { JsonObject } from "../../core/protocol/room-paths";
import { WatcherServerFrame } from "../../core/protocol/watcher";
import {
  ackFrame,
  errorFrame,
  errorFrameOf,
  historyPageFrame,
  type Json,
  messagesFrame,
  pongFrame,
  presenceEventFrame,
  toJson,
} from "../../durable-objects/hub/frames";
import {
  deltaFrame,
  participantFrame,
  roomAckFrame,
  roomHelloFrame,
  stateFrame,
} from "../../durable-objects/room/room-frames";
import {
  changesFrames,
  resyncFrame,
  snapshotEndFrame,
  snapshotFrames,
  snapshotRemovedFrame,
  syncedFrame,
  watchedDocumentJson,
} from "../../durable-objects/watcher/watcher-frames";
import { parseServerFrame } from "../strict-frames";

const message = toJson<Message>({ id: "m1", seq: 1, name: "chat", data: { text: "hi" }, client_id: "a", timestamp: 1 });
const chat = toJson<RoomItem>({
  kind: "message",
  id: "m1",
  seq: 1,
  user_id: "a",
  user_name: "Ann",
  content: "hi",
  timestamp: 1,
});
const limits = { max_frame_bytes: 65536, rate_per_second: 50, rate_burst: 200, heartbeat_ms: 25000 };

describe("frame builders", () => {
  it("build channel frames that parse strictly against ChannelServerFrame", () => {
    const frames = [
      errorFrame(3, "rate_limited", "Slow down.", { retry_after_ms: 10 }),
      errorFrameOf(null, new ApiError("room_full", "Full.", { max_participants: 2 })),
      pongFrame(4),
      HEARTBEAT_PONG,
      ackFrame(5),
      ackFrame(6, { id: "m1", seq: 1, timestamp: 1, duplicate: false }),
      messagesFrame([message, message]),
      historyPageFrame(7, { items: [message], nextBeforeSeq: null }),
      presenceEventFrame("enter", "a", '{"name":"Ann"}' as Json<unknown>, 1),
    ];
    for (const frame of frames) expect(() => parseServerFrame(ChannelServerFrame, frame)).not.toThrow();
    expect(JSON.parse(frames[8] as string)).toEqual({
      v: 1,
      type: "presence",
      action: "enter",
      member: { client_id: "a", timestamp: 1, data: { name: "Ann" } },
    });
  });

  it("build room frames that parse strictly against RoomServerFrame, the remove ack's user_id and present included", () => {
    const participant = { user_id: "a", user_name: "Ann", metadata: {}, joined_at: 1 };
    const room = {
      id: "r",
      title: "R",
      owner_id: "a",
      max_participants: 8,
      visibility: "public" as const,
      metadata: {},
      state_write: "anyone" as const,
      created_at: 1,
    };
    const state = '{"score":1}' as Json<JsonObject>;
    const frames = [
      roomHelloFrame(
        {
          connection_id: "c",
          client_id: "a",
          user_id: null,
          room,
          created: true,
          participant,
          participants: [participant],
          epoch: "e",
          seq: 1,
          resume: null,
          version: 1,
          limits,
        },
        [chat],
        state,
      ),
      stateFrame(1, state, 2),
      deltaFrame({
        from_version: 1,
        to_version: 2,
        user_id: "a",
        changes: [{ path: "score", operation: "set", value: 2 }],
      }),
      roomAckFrame(2, { user_id: "b", present: true }),
      roomAckFrame(3),
      participantFrame("leave", "a", '{"user_name":"Ann","metadata":{}}' as Json<unknown>, 5, 1),
      messagesFrame([chat]),
      historyPageFrame(4, { items: [chat], nextBeforeSeq: 1 }),
    ];
    for (const frame of frames) expect(() => parseServerFrame(RoomServerFrame, frame)).not.toThrow();
    expect(JSON.parse(frames[5] as string).participant).toEqual(participant);
  });

  it("build watcher frames that parse strictly against WatcherServerFrame", () => {
    const event = JSON.stringify({ seq: 1, event: "create", id: "d", data: { a: 1 }, old_data: null, timestamp: 1 });
    const frames = [
      syncedFrame(null, 3),
      snapshotEndFrame(2, { seq: 3, count: 1, truncated: false }),
      resyncFrame("too_old", 1, 5, 9),
      ...changesFrames([event, event], 1, 1000),
      ...snapshotFrames([watchedDocumentJson("d", '{"a":1}')], 10, 1000),
      snapshotRemovedFrame(["d"]),
    ];
    expect(frames).toHaveLength(7);
    for (const frame of frames) expect(() => parseServerFrame(WatcherServerFrame, frame)).not.toThrow();
  });

  it("keep the heartbeat byte for byte", () => {
    expect(HEARTBEAT_PING).toBe('{"v":1,"type":"ping"}');
    expect(HEARTBEAT_PONG).toBe('{"v":1,"type":"pong"}');
  });
});

describe("strict frame parsing (the test sockets')", () => {
  it("fails a frame with a field its schema does not declare, at the top or nested", () => {
    expect(() => parseServerFrame(ChannelServerFrame, '{"v":1,"type":"ack","ref":1,"extra":true}')).toThrow(/extra/);
    const nested = `{"v":1,"type":"messages","items":[${message.slice(0, -1)},"color":"red"}]}`;
    expect(() => parseServerFrame(ChannelServerFrame, nested)).toThrow(/items\[0\]\.color/);
  });

  it("fails a frame that lacks a field, or of a type its object does not send", () => {
    expect(() => parseServerFrame(ChannelServerFrame, '{"v":1,"type":"history_page","ref":1,"items":[]}')).toThrow();
    expect(() => parseServerFrame(ChannelServerFrame, '{"v":1,"type":"synced","ref":null,"seq":1}')).toThrow();
  });
});
