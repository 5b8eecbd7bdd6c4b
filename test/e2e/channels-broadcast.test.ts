// The project broadcast, with the API of the hosted realtime services Flarebase stands in for
// (`new ProjectBroadcast(...)`, `onMessage`, `connect`, `send`, and
// `client.realtime.broadcast(userId, userName)`), against the real worker.
import { afterEach, describe, expect, it } from "vitest";
import { type BroadcastMessage, type FlarebaseClient, ProjectBroadcast } from "../../sdk/index";
import { Recorder } from "./channels-helpers";
import { baseUrl, clientFor, createTestProject } from "./helpers";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("project broadcast", () => {
  it("sends to every client of the project, standalone or from a client, with who sent it", async () => {
    const { project } = await createTestProject();
    const alice = new ProjectBroadcast(project.keys.public, "user_123", "Alice", { url: baseUrl() });
    cleanups.push(() => alice.disconnect());
    const client: FlarebaseClient = clientFor({ key: project.keys.public });
    cleanups.push(() => client.realtime.close());
    const bob = client.realtime.broadcast("user_456", "Bob");

    const toAlice = new Recorder<BroadcastMessage>();
    const toBob = new Recorder<BroadcastMessage>();
    alice.onMessage(toAlice.push);
    expect(bob.connect()).toBe(bob);
    bob.onMessage(toBob.push);
    alice.connect();
    await client.connection.once("connected");

    const sent = await alice.send({ text: "Hello everyone!" });
    expect(sent).toMatchObject({ seq: 1, duplicate: false });
    await bob.send({ text: "Hi Alice" });
    for (const inbox of [toAlice, toBob]) {
      await inbox.count(2);
      expect(inbox.items).toEqual([
        {
          id: sent.id,
          seq: 1,
          user_id: "user_123",
          user_name: "Alice",
          name: "broadcast",
          data: { text: "Hello everyone!" },
          timestamp: sent.timestamp,
        },
        expect.objectContaining({ seq: 2, user_id: "user_456", user_name: "Bob", data: { text: "Hi Alice" } }),
      ]);
    }
  });

  it("delivers the project server's announcements, and stops after disconnect", async () => {
    const { project, secretClient } = await createTestProject();
    const listener = new ProjectBroadcast(project.keys.public, "user_1", "Listener", { url: baseUrl() });
    const inbox = new Recorder<BroadcastMessage>();
    listener.onMessage(inbox.push);
    listener.connect();
    await listener.channel.history(); // answered once connected

    await secretClient.request("POST", "/v1/channels/_broadcast/messages", {
      body: { name: "maintenance", data: { at: "22:00 UTC" } },
    });
    await inbox.count(1);
    expect(inbox.items[0]).toMatchObject({
      seq: 1,
      user_id: "server",
      user_name: null,
      name: "maintenance",
      data: { at: "22:00 UTC" },
    });

    listener.disconnect();
    expect(listener.channel.state).toBe("closed");
    await expect(listener.send("late")).rejects.toMatchObject({ code: "closed" });
  });

  it("needs the server's URL outside a browser page", () => {
    expect(() => new ProjectBroadcast("pk_x", "u", "U")).toThrow(/URL/);
  });
});
