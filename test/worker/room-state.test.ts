import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DeltaFrame } from "../../core/protocol/room";
import { createProject } from "./helpers";
import { create, enter, leaveAll, type RoomSocket, roomStub } from "./room-helpers";

let nextId = 0;
/** Sends one state update (a fresh id unless given) and returns its reply. */
function update(socket: RoomSocket, ops: unknown[], id = `u${++nextId}`) {
  return socket.request({ type: "state_update", id, ops });
}

/** Takes `count` delta frames, in the order received. */
async function deltas(socket: RoomSocket, count: number): Promise<DeltaFrame[]> {
  const frames: DeltaFrame[] = [];
  while (frames.length < count) frames.push(await socket.next("delta"));
  return frames;
}

describe("room shared state", () => {
  it("applies set, delete and increment at paths and broadcasts { from_version, to_version, changes }", async () => {
    const project = await createProject();
    const alice = await create(project, "s", "alice");
    const bob = await enter(project, "s", "bob");
    const ack = await update(alice.socket, [
      { op: "set", path: "players.alice", value: { x: 1, y: 2 } },
      { op: "set", path: "items", value: ["sword"] },
      { op: "set", path: "items.1", value: "shield" },
      { op: "increment", path: "score.alice", by: 5 },
      { op: "increment", path: "score.alice" },
    ]);
    expect(ack).toMatchObject({ type: "ack", version: 1, duplicate: false });
    const expected = {
      v: 1,
      type: "delta",
      from_version: 0,
      to_version: 1,
      user_id: "alice",
      changes: [
        { path: "players.alice", operation: "set", value: { x: 1, y: 2 } },
        { path: "items", operation: "set", value: ["sword"] },
        { path: "items.1", operation: "set", value: "shield" },
        { path: "score.alice", operation: "increment", value: 5 },
        { path: "score.alice", operation: "increment", value: 6 },
      ],
    };
    for (const member of [alice, bob]) expect(await member.socket.next("delta")).toEqual(expected);

    await update(bob.socket, [
      { op: "delete", path: "players.alice.y" },
      { op: "delete", path: "items.0" },
    ]);
    expect((await alice.socket.next("delta")).changes).toEqual([
      { path: "players.alice.y", operation: "delete" },
      { path: "items.0", operation: "delete" },
    ]);
    const state = await bob.socket.request({ type: "state_get" });
    expect(state).toEqual({
      v: 1,
      type: "state",
      ref: state.ref,
      version: 2,
      state: { players: { alice: { x: 1 } }, items: ["shield"], score: { alice: 6 } },
    });
    // A joiner gets the snapshot with its version.
    const carol = await enter(project, "s", "carol");
    expect(carol.hello).toMatchObject({ version: 2, state: state.state });
    leaveAll(alice, bob, carol);
  });

  it("an update that fails changes nothing (all or none) and gets a typed error", async () => {
    const project = await createProject();
    const alice = await create(project, "s", "alice");
    await update(alice.socket, [{ op: "set", path: "name", value: "x" }]);
    const refused = await update(alice.socket, [
      { op: "set", path: "a", value: 1 },
      { op: "increment", path: "name" },
    ]);
    expect(refused).toMatchObject({
      type: "error",
      code: "invalid_state_operation",
      details: { index: 1, path: "name" },
    });
    for (const path of ["__proto__.x", "a..b", "name.deeper"]) {
      expect(await update(alice.socket, [{ op: "set", path, value: 1 }])).toMatchObject({
        code: "invalid_state_operation",
      });
    }
    expect(await update(alice.socket, [{ op: "set", path: "a" }])).toMatchObject({ code: "invalid_frame" });
    expect(await update(alice.socket, [])).toMatchObject({ code: "invalid_frame" });
    // The failed ids were not used up: the same id may be sent again, fixed.
    expect(await update(alice.socket, [{ op: "set", path: "a", value: 1 }], "retry-me")).toMatchObject({ version: 2 });
    expect(await alice.socket.request({ type: "state_get" })).toMatchObject({ version: 2, state: { name: "x", a: 1 } });
    leaveAll(alice);
  });

  it("refuses an update that would make the state larger than the room allows", async () => {
    const project = await createProject();
    const alice = await create(project, "big", "alice");
    await roomStub(env, project.id, "big").configureRoom({ max_state_bytes: 2048 });
    expect(await update(alice.socket, [{ op: "set", path: "blob", value: "x".repeat(3000) }])).toMatchObject({
      code: "state_too_large",
      details: { max_bytes: 2048 },
    });
    expect(await alice.socket.request({ type: "state_get" })).toMatchObject({ version: 0, state: {} });
    leaveAll(alice);
  });

  it("exactly once: a resent update id is acked with the version it made and not applied again", async () => {
    const project = await createProject();
    const alice = await create(project, "once", "alice");
    const bob = await enter(project, "once", "bob");
    expect(await update(bob.socket, [{ op: "increment", path: "n" }], "inc-1")).toMatchObject({ version: 1 });
    expect(await update(alice.socket, [{ op: "increment", path: "n" }], "inc-1")).toMatchObject({ version: 2 });
    expect(await update(bob.socket, [{ op: "increment", path: "n" }], "inc-1")).toMatchObject({
      version: 1,
      duplicate: true,
    });
    // A message may share an id with an update: separate key spaces.
    expect(await bob.socket.request({ type: "message", id: "inc-1", content: "hi" })).toMatchObject({ seq: 1 });
    expect(await bob.socket.request({ type: "state_get" })).toMatchObject({ version: 2, state: { n: 2 } });
    leaveAll(alice, bob);
  });

  it("applies concurrent writers' updates in arrival order: gap-free versions, every client sees the same deltas", async () => {
    const project = await createProject();
    const owner = await create(project, "race", "w0");
    const writers = [owner, ...(await Promise.all([1, 2, 3].map((i) => enter(project, "race", `w${i}`))))];
    const perWriter = 25;
    // Every writer fires all its updates without waiting: they interleave at the room.
    const acks = await Promise.all(
      writers.map(async (writer, w) => {
        const refs: number[] = [];
        for (let i = 0; i < perWriter; i++) {
          const ref = 1000 + i;
          refs.push(ref);
          writer.socket.send({
            v: 1,
            type: "state_update",
            ref,
            id: `w${w}-${i}`,
            ops: [
              { op: "increment", path: "total" },
              { op: "set", path: `last.w${w}`, value: i },
              { op: "set", path: "order", value: `w${w}-${i}` },
            ],
          });
        }
        return Promise.all(refs.map((ref) => writer.socket.reply(ref)));
      }),
    );
    const total = writers.length * perWriter;
    const versions = acks.flat().map((ack) => ack.version as number);
    expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // One writer's updates are applied in the order it sent them.
    for (const writerAcks of acks) {
      const own = writerAcks.map((ack) => ack.version as number);
      expect(own).toEqual([...own].sort((a, b) => a - b));
    }
    const streams = await Promise.all(writers.map((writer) => deltas(writer.socket, total)));
    for (const stream of streams) {
      expect(stream.map((d) => [d.from_version, d.to_version])).toEqual(
        Array.from({ length: total }, (_, i) => [i, i + 1]),
      );
      // Each delta's increment carries the running total: the room applied them one after another.
      expect(stream.map((d) => d.changes[0]?.value)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(stream).toEqual(streams[0]);
    }
    // Replaying the deltas gives the room's state.
    const final = await owner.socket.request({ type: "state_get" });
    const lastOrder = streams[0]?.at(-1)?.changes[2]?.value;
    expect(final).toMatchObject({
      version: total,
      state: { total, order: lastOrder, last: { w0: 24, w1: 24, w2: 24, w3: 24 } },
    });
    leaveAll(...writers);
  });

  it("with state_write owner, only the owner changes the state; everyone may read it", async () => {
    const project = await createProject();
    const owner = await create(project, "policy", "owner", { state_write: "owner" });
    const guest = await enter(project, "policy", "guest");
    expect(guest.hello.room.state_write).toBe("owner");
    expect(await update(guest.socket, [{ op: "set", path: "x", value: 1 }])).toMatchObject({
      type: "error",
      code: "forbidden",
      details: { state_write: "owner" },
    });
    expect(await update(owner.socket, [{ op: "set", path: "x", value: 2 }])).toMatchObject({ type: "ack", version: 1 });
    expect(await guest.socket.next("delta")).toMatchObject({ to_version: 1, user_id: "owner" });
    expect(await guest.socket.request({ type: "state_get" })).toMatchObject({ state: { x: 2 }, version: 1 });
    leaveAll(owner, guest);
  });
});
