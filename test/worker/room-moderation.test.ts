import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { until } from "./channel-helpers";
import { createProject } from "./helpers";
import {
  connectRoom,
  create,
  enter,
  expectRefused,
  inspect,
  leaveAll,
  listRooms,
  participantEvent,
} from "./room-helpers";

describe("room moderation", () => {
  it("the owner removes a participant: every tab of theirs is closed with 4015, and they cannot come back", async () => {
    const project = await createProject();
    const owner = await create(project, "mod", "owner");
    const bob = await enter(project, "mod", "bob");
    const bobTab = await enter(project, "mod", "bob");
    const carol = await enter(project, "mod", "carol");

    const ack = await owner.socket.request({ type: "remove", user_id: "bob", reason: "spam" });
    expect(ack).toMatchObject({ type: "ack", user_id: "bob", present: true });
    for (const tab of [bob, bobTab]) {
      expect(await tab.socket.next("error")).toMatchObject({
        ref: null,
        code: "removed_from_room",
        details: { removed_by: "owner", reason: "spam" },
      });
      expect(await tab.socket.closed()).toEqual({ code: 4015, reason: "removed_from_room" });
    }
    await participantEvent(carol.socket, "left", "bob");
    await expectRefused(connectRoom("mod", project.keys.public, { client_id: "bob" }), "removed_from_room", 4015);
    expect((await inspect(env, project.id, "mod")).participants.map((p) => p.user_id).sort()).toEqual([
      "carol",
      "owner",
    ]);
    leaveAll(owner, carol);
  });

  it("refuses moderation from anyone but the owner, and the owner removing themselves", async () => {
    const project = await createProject();
    const owner = await create(project, "mod2", "owner");
    const bob = await enter(project, "mod2", "bob");
    expect(await bob.socket.request({ type: "remove", user_id: "owner" })).toMatchObject({
      type: "error",
      code: "forbidden",
      details: { owner_id: "owner" },
    });
    expect(await bob.socket.request({ type: "close_room" })).toMatchObject({ type: "error", code: "forbidden" });
    expect(await owner.socket.request({ type: "remove", user_id: "owner" })).toMatchObject({
      type: "error",
      code: "invalid_request",
    });
    // Bob is still in, and the room still open.
    expect(await bob.socket.request({ type: "message", id: "m", content: "still here" })).toMatchObject({ seq: 1 });
    leaveAll(owner, bob);
  });

  it("the owner closes the room: everyone is told and closed with 4014, it leaves the directory, and joins are refused", async () => {
    const project = await createProject();
    const owner = await create(project, "closing", "owner");
    const bob = await enter(project, "closing", "bob");
    expect((await listRooms(project)).items.map((room) => room.id)).toEqual(["closing"]);
    expect(await owner.socket.request({ type: "close_room", reason: "game over" })).toMatchObject({ type: "ack" });
    for (const member of [owner, bob]) {
      expect(await member.socket.next("error")).toMatchObject({
        code: "room_closed",
        details: { closed_by: "owner", reason: "game over" },
      });
      expect(await member.socket.closed()).toEqual({ code: 4014, reason: "room_closed" });
    }
    await until(async () => (await listRooms(project)).items.length === 0, "the closed room leaves the directory");
    await expectRefused(connectRoom("closing", project.keys.public, { client_id: "carol" }), "room_closed", 4014);
    await expectRefused(
      connectRoom("closing", project.keys.public, { client_id: "owner", mode: "create", title: "again" }),
      "room_closed",
      4014,
    );
  });
});
