import { describe, expect, it } from "vitest";
import { connectChannel, joinChannel, uniqueChannel } from "./channel-helpers";
import { adminHeaders, api, createProject, errorOf, mintToken, type TestProject } from "./helpers";

/** Sets the project's default channel capabilities through the admin API and returns the project. */
async function setDefaults(project: TestProject, channelCapabilities: unknown) {
  const response = await api(`/v1/admin/projects/${project.id}`, {
    method: "PATCH",
    headers: adminHeaders,
    json: { channel_capabilities: channelCapabilities },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function expectForbidden(channel: string, options: Parameters<typeof connectChannel>[1]) {
  const socket = await connectChannel(channel, options);
  expect(await socket.next()).toMatchObject({ type: "error", code: "forbidden", details: { capability: "subscribe" } });
  expect(await socket.closed()).toEqual({ code: 4003, reason: "forbidden" });
}

describe("per-project channel capabilities", () => {
  it("start as everything on every channel, visible on the project as null", async () => {
    const project = await createProject();
    const response = await api(`/v1/admin/projects/${project.id}`, { headers: adminHeaders });
    expect(await response.json()).toMatchObject({ channel_capabilities: null });
    const { hello, socket } = await joinChannel(uniqueChannel("any"), { query: { api_key: project.keys.public } });
    expect(hello.capabilities).toEqual(["subscribe", "publish", "presence", "history"]);
    socket.close();
  });

  it("apply the project's default to public keys and to tokens without a channels claim", async () => {
    const project = await createProject();
    const defaults = { "news:*": ["subscribe", "history"], "chat:*": ["*"] };
    expect(await setDefaults(project, defaults)).toMatchObject({
      status: 200,
      body: { channel_capabilities: defaults },
    });
    const unscoped = (await mintToken(project, { user_id: "u1" })).token;
    const scoped = (await mintToken(project, { user_id: "u2", claims: { channels: { "news:*": ["*"] } } })).token;
    const news = uniqueChannel("news");

    for (const auth of [
      { query: { api_key: project.keys.public } },
      { protocols: ["flarebase.v1", `flarebase.token.${unscoped}`] },
    ]) {
      const reader = await joinChannel(news, auth);
      expect(reader.hello.capabilities).toEqual(["subscribe", "history"]);
      expect(await reader.socket.publish("n", 1)).toMatchObject({
        code: "forbidden",
        details: { capability: "publish" },
      });
      reader.socket.close();
      const chat = await joinChannel(uniqueChannel("chat"), auth);
      expect(chat.hello.capabilities).toEqual(["subscribe", "publish", "presence", "history"]);
      chat.socket.close();
      await expectForbidden(uniqueChannel("other"), auth);
    }

    // A token with its own claim and a secret key are not bound by the project's default.
    const writer = await joinChannel(news, { protocols: ["flarebase.v1", `flarebase.token.${scoped}`] });
    expect(writer.hello.capabilities).toEqual(["subscribe", "publish", "presence", "history"]);
    writer.socket.close();
    const server = await joinChannel(uniqueChannel("other"), { headers: { "X-API-Key": project.keys.secret } });
    expect(server.hello.capabilities).toEqual(["subscribe", "publish", "presence", "history"]);
    server.socket.close();

    // REST follows the same rules.
    const headers = { "X-API-Key": project.keys.public };
    const post = await api(`/v1/channels/${news}/messages`, { method: "POST", headers, json: { name: "n" } });
    expect(await errorOf(post)).toMatchObject({ status: 403, code: "forbidden", details: { capability: "publish" } });
    expect((await api(`/v1/channels/${news}/messages`, { headers })).status).toBe(200);
    expect((await api(`/v1/channels/${uniqueChannel("other")}/presence`, { headers })).status).toBe(403);
  });

  it("can be reset to the built-in default, and refuse an invalid map without changing it", async () => {
    const project = await createProject();
    await setDefaults(project, { "chat:*": ["subscribe"] });
    const renamed = await api(`/v1/admin/projects/${project.id}`, {
      method: "PATCH",
      headers: adminHeaders,
      json: { name: "renamed" },
    });
    expect(await renamed.json()).toMatchObject({ name: "renamed", channel_capabilities: { "chat:*": ["subscribe"] } });
    const invalid = await setDefaults(project, { "chat:*": ["fly"] });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    const before = await joinChannel(uniqueChannel("chat"), { query: { api_key: project.keys.public } });
    expect(before.hello.capabilities).toEqual(["subscribe"]);
    before.socket.close();

    expect(await setDefaults(project, null)).toMatchObject({ status: 200, body: { channel_capabilities: null } });
    const after = await joinChannel(uniqueChannel("other"), { query: { api_key: project.keys.public } });
    expect(after.hello.capabilities).toEqual(["subscribe", "publish", "presence", "history"]);
    after.socket.close();
  });
});

describe("project broadcast channel", () => {
  it("reaches every client, whatever its capabilities; publishing on it follows them", async () => {
    const project = await createProject();
    await setDefaults(project, { "chat:*": ["*"] });
    const listener = await joinChannel("_broadcast", { query: { api_key: project.keys.public } });
    expect(listener.hello.capabilities).toEqual(["subscribe", "history"]);
    expect(await listener.socket.publish("hello", 1)).toMatchObject({ code: "forbidden" });
    const scoped = (await mintToken(project, { user_id: "u1", claims: { channels: { "chat:*": ["*"] } } })).token;
    const user = await joinChannel("_broadcast", { protocols: ["flarebase.v1", `flarebase.token.${scoped}`] });
    expect(user.hello.capabilities).toEqual(["subscribe", "history"]);

    // The project's server announces over REST with its secret key; everyone gets it.
    const post = await api("/v1/channels/_broadcast/messages", {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret },
      json: { name: "maintenance", data: { at: "22:00" } },
    });
    expect(post.status).toBe(201);
    for (const socket of [listener.socket, user.socket]) {
      expect(await socket.messages(1)).toEqual([
        expect.objectContaining({ seq: 1, name: "maintenance", data: { at: "22:00" }, client_id: "server" }),
      ]);
    }
    // Announcements missed while away can be read back.
    const history = await api("/v1/channels/_broadcast/messages", { headers: { "X-API-Key": project.keys.public } });
    expect(await history.json()).toMatchObject({ items: [{ seq: 1, name: "maintenance" }] });
    listener.socket.close();
    user.socket.close();

    // Broadcasts are per project: another project's channel of the same name is another object.
    const other = await createProject();
    const elsewhere = await joinChannel("_broadcast", { query: { api_key: other.keys.public } });
    expect(elsewhere.hello.seq).toBe(0);
    elsewhere.socket.close();
  });
});
