import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mintToken as mintRaw } from "../../worker/auth/tokens";
import { createProject } from "./helpers";
import {
  connectRoom,
  create,
  enter,
  expectRefused,
  inspect,
  leaveAll,
  participantEvent,
  uniqueRoom,
} from "./room-helpers";

describe("room create and join", () => {
  it("create makes the room and joins it; a later create joins the same room", async () => {
    const project = await createProject();
    const room = uniqueRoom();
    const alice = await create(project, room, "alice", {
      title: "General Chat",
      max_participants: 8,
      metadata: JSON.stringify({ topic: "news" }),
      user_metadata: JSON.stringify({ color: "red" }),
    });
    expect(alice.hello).toMatchObject({
      v: 1,
      type: "hello",
      client_id: "alice",
      created: true,
      room: {
        id: room,
        title: "General Chat",
        owner_id: "alice",
        max_participants: 8,
        visibility: "public",
        metadata: { topic: "news" },
        state_write: "anyone",
      },
      participant: { user_id: "alice", user_name: "alice", metadata: { color: "red" } },
      seq: 0,
      resume: null,
      history: [],
      state: {},
      version: 0,
    });
    expect(alice.hello.participants).toHaveLength(1);

    // A second create (a reconnect resending it, or a racing client) joins: its options are ignored.
    const bob = await create(project, room, "bob", { title: "Another title", max_participants: 2 });
    expect(bob.hello).toMatchObject({
      created: false,
      epoch: alice.hello.epoch,
      room: { title: "General Chat", owner_id: "alice", max_participants: 8 },
    });
    expect(bob.hello.participants.map((p) => p.user_id).sort()).toEqual(["alice", "bob"]);
    const carol = await enter(project, room, "carol");
    expect(carol.hello).toMatchObject({ created: false, room: { id: room } });
    leaveAll(alice, bob, carol);
  });

  it("join of a missing room is refused with room_not_found and close 4012, and creates nothing", async () => {
    const project = await createProject();
    const room = uniqueRoom();
    const error = await expectRefused(
      connectRoom(room, project.keys.public, { client_id: "bob" }),
      "room_not_found",
      4012,
    );
    expect(error.details).toEqual({ room_id: room });
    expect((await inspect(env, project.id, room)).room).toBeNull();
  });

  it("a full room answers room_full (4013); a present user's second tab still gets in", async () => {
    const project = await createProject();
    const room = uniqueRoom();
    const alice = await create(project, room, "alice", { max_participants: 2 });
    const bob = await enter(project, room, "bob");
    const error = await expectRefused(
      connectRoom(room, project.keys.public, { client_id: "carol" }),
      "room_full",
      4013,
    );
    expect(error.details).toEqual({ max_participants: 2 });
    const bobTab = await enter(project, room, "bob");
    expect(bobTab.hello.participants).toHaveLength(2);
    // Once someone leaves, there is room again.
    bob.socket.close();
    bobTab.socket.close();
    await participantEvent(alice.socket, "left", "bob");
    const carol = await enter(project, room, "carol");
    expect(carol.hello.participants.map((p) => p.user_id).sort()).toEqual(["alice", "carol"]);
    leaveAll(alice, carol);
  });

  it("two clients creating the same room at once make one room, and both are in it", async () => {
    const project = await createProject();
    for (let round = 0; round < 3; round++) {
      const room = uniqueRoom();
      const [a, b] = await Promise.all([
        create(project, room, "a", { title: "from a" }),
        create(project, room, "b", { title: "from b" }),
      ]);
      expect([a.hello.created, b.hello.created].sort()).toEqual([false, true]);
      const winner = a.hello.created ? a : b;
      expect(a.hello.room).toEqual(b.hello.room);
      expect(a.hello.epoch).toBe(b.hello.epoch);
      expect(a.hello.room.owner_id).toBe(winner.hello.client_id);
      expect(a.hello.room.title).toBe(`from ${winner.hello.client_id}`);
      const info = await inspect(env, project.id, room);
      expect(info.participants.map((p) => p.user_id).sort()).toEqual(["a", "b"]);
      leaveAll(a, b);
    }
  });

  it("user tokens join as their user, whatever client_id says", async () => {
    const project = await createProject();
    const room = uniqueRoom();
    const { token } = await mintRaw(env.DB, project.id, { user_id: "user-7" }, 600);
    const socket = await connectRoom(room, token, { mode: "create", client_id: "someone-else", user_name: "Seven" });
    const hello = await socket.next("hello");
    expect(hello).toMatchObject({ client_id: "user-7", user_id: "user-7", room: { owner_id: "user-7" } });
    expect(hello.participant).toMatchObject({ user_id: "user-7", user_name: "Seven" });
    socket.close();
  });

  it("refuses a bad room id, bad credentials and bad parameters in-band (error frame, 4xxx close)", async () => {
    const project = await createProject();
    await expectRefused(connectRoom("bad room!", project.keys.public), "invalid_room", 4004);
    await expectRefused(connectRoom("x".repeat(129), project.keys.public), "invalid_room", 4004);
    await expectRefused(connectRoom(uniqueRoom(), null), "unauthorized", 4001);
    await expectRefused(connectRoom(uniqueRoom(), "pk_nope"), "unauthorized", 4001);
    const { token } = await mintRaw(env.DB, project.id, { user_id: "u" }, -10);
    await expectRefused(connectRoom(uniqueRoom(), token), "token_expired", 4002);
    const badParameters: Record<string, string | number>[] = [
      { mode: "open" },
      { mode: "create", max_participants: 0 },
      { mode: "create", max_participants: "many" },
      { mode: "create", metadata: "[1,2]" },
      { mode: "create", user_metadata: "{not json" },
      { mode: "create", visibility: "hidden" },
      { mode: "create", state_write: "everyone" },
      { mode: "create", title: " " },
      { history: 501 },
      { client_id: "no spaces" },
      { since_seq: -1 },
    ];
    for (const query of badParameters) {
      await expectRefused(connectRoom(uniqueRoom(), project.keys.public, query), "invalid_request", 4000);
    }
  });
});
