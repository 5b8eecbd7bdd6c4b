import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { channelStub, joinChannel, uniqueChannel, until } from "./channel-helpers";
import { api, createProject, type TestProject } from "./helpers";

const keyAuth = (project: TestProject, clientId: string) => ({
  protocols: ["flarebase.v1", `flarebase.key.${project.keys.public}`],
  query: { client_id: clientId },
});

describe("channel presence", () => {
  it("sends enter, update and leave to every connection, the acting one included", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const a = await joinChannel(channel, keyAuth(project, "a"));
    const b = await joinChannel(channel, keyAuth(project, "b"));
    expect(await a.socket.request({ type: "presence", action: "enter", data: { mood: "ok" } })).toMatchObject({
      type: "ack",
    });
    await a.socket.request({ type: "presence", action: "update", data: { mood: "great" } });
    await a.socket.request({ type: "presence", action: "leave" });
    for (const { socket } of [a, b]) {
      const events = [await socket.next("presence"), await socket.next("presence"), await socket.next("presence")];
      expect(events.map((e) => [e.action, e.member.client_id, e.member.data])).toEqual([
        ["enter", "a", { mood: "ok" }],
        ["update", "a", { mood: "great" }],
        ["leave", "a", { mood: "great" }],
      ]);
      expect(typeof events[0]?.member.timestamp).toBe("number");
    }
    a.socket.close();
    b.socket.close();
  });

  it("keeps one member per client id across its connections, and re-entering with the same data is silent", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const watcher = await joinChannel(channel, keyAuth(project, "w"));
    const tab1 = await joinChannel(channel, keyAuth(project, "alice"));
    const tab2 = await joinChannel(channel, keyAuth(project, "alice"));
    await tab1.socket.request({ type: "presence", action: "enter", data: { n: 1 } });
    await tab2.socket.request({ type: "presence", action: "enter", data: { n: 1 } });
    expect(await watcher.socket.next("presence")).toMatchObject({ action: "enter", member: { client_id: "alice" } });
    const snapshot = await watcher.socket.request({ type: "presence_get" });
    expect(snapshot.members).toHaveLength(1);
    // One tab closing keeps the member; the last one closing makes it leave.
    tab1.socket.close();
    const stub = channelStub(env, project.id, channel);
    await until(async () => (await stub.state()).connections === 2, "the first tab's close is processed");
    const probe = await watcher.socket.request({ type: "presence_get" });
    expect(probe.members).toMatchObject([{ client_id: "alice" }]);
    expect(watcher.socket.queued.filter((f) => f.type === "presence")).toEqual([]);
    tab2.socket.close();
    expect(await watcher.socket.next("presence")).toMatchObject({ action: "leave", member: { client_id: "alice" } });
    watcher.socket.close();
  });

  it("includes the members in the hello of every new connection and in REST", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const a = await joinChannel(channel, keyAuth(project, "a"));
    await a.socket.request({ type: "presence", action: "enter", data: "here" });
    const b = await joinChannel(channel, keyAuth(project, "b"));
    expect(b.hello.presence).toMatchObject([{ client_id: "a", data: "here" }]);
    const rest = await api(`/v1/channels/${channel}/presence`, { headers: { "X-API-Key": project.keys.public } });
    expect(await rest.json()).toMatchObject({ items: [{ client_id: "a", data: "here" }], next_cursor: null, total: 1 });
    expect(JSON.parse(await channelStub(env, project.id, channel).presenceMembers())).toHaveLength(1);
    a.socket.close();
    b.socket.close();
  });

  it("refuses presence data over the limit, and presence without the capability", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const a = await joinChannel(channel, keyAuth(project, "a"));
    const big = await a.socket.request({ type: "presence", action: "enter", data: "x".repeat(3000) });
    expect(big).toMatchObject({ type: "error", code: "frame_too_large", details: { max_bytes: 2048 } });
    const token = await api("/v1/auth/token", {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret },
      json: { user_id: "viewer", claims: { channels: { "*": ["subscribe"] } } },
    });
    const { token: jwt } = (await token.json()) as { token: string };
    const viewer = await joinChannel(channel, { protocols: ["flarebase.v1", `flarebase.token.${jwt}`] });
    expect(viewer.hello.capabilities).toEqual(["subscribe"]);
    expect(await viewer.socket.request({ type: "presence", action: "enter" })).toMatchObject({
      type: "error",
      code: "forbidden",
      details: { capability: "presence" },
    });
    a.socket.close();
    viewer.socket.close();
  });
});
