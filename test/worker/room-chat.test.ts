import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { until } from "./channel-helpers";
import { createProject } from "./helpers";
import { create, enter, inspect, leaveAll, participantEvent, roomStub, say } from "./room-helpers";

describe("room participants", () => {
  it("a user with two tabs is one participant; joined and left events; the list on join", async () => {
    const project = await createProject();
    const room = "lobby";
    const alice = await create(project, room, "alice", { user_name: "Alice", user_metadata: '{"team":"red"}' });
    const bob = await enter(project, room, "bob", { user_name: "Bob" });
    const joined = await participantEvent(alice.socket, "joined", "bob");
    expect(joined).toMatchObject({
      v: 1,
      type: "participant",
      participant: { user_id: "bob", user_name: "Bob", metadata: {}, joined_at: bob.hello.participant.joined_at },
    });
    expect(bob.hello.participants.map((p) => [p.user_id, p.user_name, p.metadata])).toEqual(
      expect.arrayContaining([
        ["alice", "Alice", { team: "red" }],
        ["bob", "Bob", {}],
      ]),
    );

    // Bob's second tab: no event, still one participant, same joined_at.
    const bobTab = await enter(project, room, "bob", { user_name: "Bob" });
    expect(bobTab.hello.participants).toHaveLength(2);
    expect(bobTab.hello.participant.joined_at).toBe(bob.hello.participant.joined_at);

    // Closing one tab is not leaving; closing the last one is.
    bob.socket.close();
    await until(async () => (await inspect(env, project.id, room)).connections === 2, "the first tab is closed");
    expect((await inspect(env, project.id, room)).participants.map((p) => p.user_id).sort()).toEqual(["alice", "bob"]);
    await say(alice.socket, "still here?");
    await alice.socket.messages(1);
    expect(alice.socket.queued.filter((f) => f.type === "participant")).toEqual([]);
    bobTab.socket.close();
    const left = await participantEvent(alice.socket, "left", "bob");
    expect(left.participant).toMatchObject({
      user_id: "bob",
      user_name: "Bob",
      joined_at: bob.hello.participant.joined_at,
    });
    const carol = await enter(project, room, "carol");
    expect(carol.hello.participants.map((p) => p.user_id).sort()).toEqual(["alice", "carol"]);
    leaveAll(alice, carol);
  });
});

describe("room chat", () => {
  it("delivers { seq, user_id, user_name, content, timestamp } to everyone, acked with the seq", async () => {
    const project = await createProject();
    const alice = await create(project, "chat", "alice", { user_name: "Alice" });
    const bob = await enter(project, "chat", "bob", { user_name: "Bob" });
    const ack = await say(bob.socket, "Hello everyone!", "m-1");
    expect(ack).toMatchObject({ type: "ack", id: "m-1", seq: 1, duplicate: false });
    for (const member of [alice, bob]) {
      const [message] = await member.socket.messages(1);
      expect(message).toEqual({
        kind: "message",
        id: "m-1",
        seq: 1,
        user_id: "bob",
        user_name: "Bob",
        content: "Hello everyone!",
        timestamp: ack.timestamp,
      });
    }
    // Bad messages are refused with a typed error and the connection stays usable.
    expect(await bob.socket.request({ type: "message", id: "m-2", content: "" })).toMatchObject({
      type: "error",
      code: "invalid_frame",
    });
    expect(await bob.socket.request({ type: "message", id: "m-2", content: "x".repeat(4001) })).toMatchObject({
      type: "error",
      code: "invalid_frame",
    });
    expect(await bob.socket.request({ type: "shout", id: "m-2" })).toMatchObject({
      type: "error",
      code: "unknown_type",
    });
    expect(await say(bob.socket, "ok", "m-2")).toMatchObject({ type: "ack", seq: 2 });
    leaveAll(alice, bob);
  });

  it("a joiner gets recent history, oldest first; the count is configurable per join and per room", async () => {
    const project = await createProject();
    const alice = await create(project, "history", "alice");
    for (let i = 1; i <= 12; i++) await say(alice.socket, `m${i}`);
    const bob = await enter(project, "history", "bob");
    expect(bob.hello.seq).toBe(12);
    expect(bob.hello.history.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const carol = await enter(project, "history", "carol", { history: 3 });
    expect(carol.hello.history.map((m) => (m.kind === "message" ? m.content : null))).toEqual(["m10", "m11", "m12"]);
    const dave = await enter(project, "history", "dave", { history: 0 });
    expect(dave.hello.history).toEqual([]);
    // The room's default (history_on_join) applies when the join does not say.
    await roomStub(env, project.id, "history").configureRoom({ history_on_join: 5 });
    const erin = await enter(project, "history", "erin");
    expect(erin.hello.history.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
    // Older pages on demand, newest first.
    const page = await erin.socket.request({ type: "history", before_seq: 8, limit: 4 });
    expect(page).toMatchObject({ type: "history_page", has_more: true, next_before_seq: 4 });
    expect((page.items as { seq: number }[]).map((m) => m.seq)).toEqual([7, 6, 5, 4]);
    leaveAll(alice, bob, carol, dave, erin);
  });

  it("resume: a reconnect with since_seq and epoch gets exactly what it missed, in order, and no history", async () => {
    const project = await createProject();
    const alice = await create(project, "resume", "alice");
    const bob = await enter(project, "resume", "bob");
    await say(alice.socket, "one");
    await say(alice.socket, "two");
    const seen = await bob.socket.messages(2);
    bob.socket.close();
    for (const text of ["three", "four", "five"]) await say(alice.socket, text);
    const back = await enter(project, "resume", "bob", {
      since_seq: seen.at(-1)?.seq as number,
      epoch: bob.hello.epoch,
      mode: "create",
    });
    expect(back.hello).toMatchObject({ resume: { status: "ok", since_seq: 2, replayed: 3 }, history: [], seq: 5 });
    const replayed = await back.socket.messages(3);
    expect(replayed.map((m) => m.content)).toEqual(["three", "four", "five"]);
    // Live traffic follows the replay.
    await say(alice.socket, "six");
    expect((await back.socket.messages(1))[0]).toMatchObject({ seq: 6, content: "six" });
    // Another epoch (the room was deleted and made again) is a reset: nothing replayed.
    const stale = await enter(project, "resume", "carol", { since_seq: 2, epoch: "other" });
    expect(stale.hello.resume).toMatchObject({ status: "gap", reason: "reset" });
    leaveAll(alice, back, stale);
  });

  it("exactly once: a resent message id is acked with the original seq and not delivered again", async () => {
    const project = await createProject();
    const alice = await create(project, "dedup", "alice");
    const bob = await enter(project, "dedup", "bob");
    const first = await say(bob.socket, "hi", "same-id");
    const again = await say(bob.socket, "hi", "same-id");
    expect(again).toMatchObject({ seq: first.seq, timestamp: first.timestamp, duplicate: true });
    // Across a reconnect too (the window is in storage).
    bob.socket.close();
    const bobAgain = await enter(project, "dedup", "bob");
    expect(await say(bobAgain.socket, "hi", "same-id")).toMatchObject({ seq: first.seq, duplicate: true });
    // Another user's identical id is a different message.
    expect(await say(alice.socket, "hi", "same-id")).toMatchObject({ seq: 2, duplicate: false });
    const delivered = await alice.socket.messages(2);
    expect(delivered.map((m) => [m.seq, m.user_id])).toEqual([
      [1, "bob"],
      [2, "alice"],
    ]);
    leaveAll(alice, bobAgain);
  });
});

describe("room actions", () => {
  it("relays { type, data } with the sender's id: ephemeral by default, stored when asked", async () => {
    const project = await createProject();
    const alice = await create(project, "game", "alice", { user_name: "Alice" });
    const bob = await enter(project, "game", "bob");
    const ephemeral = await alice.socket.request({ type: "action", id: "a1", action: "move", data: { x: 1, y: 2 } });
    expect(ephemeral).toMatchObject({ type: "ack", id: "a1", seq: null, duplicate: false });
    const [moved] = await bob.socket.messages(1);
    expect(moved).toEqual({
      kind: "action",
      id: "a1",
      seq: null,
      user_id: "alice",
      user_name: "Alice",
      action: "move",
      data: { x: 1, y: 2 },
      timestamp: ephemeral.timestamp,
      ephemeral: true,
    });
    const stored = await alice.socket.request({ type: "action", id: "a2", action: "attack", data: 50, store: true });
    expect(stored).toMatchObject({ type: "ack", id: "a2", seq: 1, duplicate: false });
    expect((await bob.socket.messages(1))[0]).toMatchObject({ kind: "action", seq: 1, action: "attack", data: 50 });
    expect(await alice.socket.request({ type: "action", id: "a2", action: "attack", store: true })).toMatchObject({
      seq: 1,
      duplicate: true,
    });
    // Only the stored one is history.
    const carol = await enter(project, "game", "carol");
    expect(carol.hello.history).toMatchObject([{ kind: "action", seq: 1, action: "attack" }]);
    leaveAll(alice, bob, carol);
  });
});
