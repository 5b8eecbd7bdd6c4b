import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ChannelObject } from "../../durable-objects/channel/channel";
import { mintToken as mintRaw } from "../../worker/auth/tokens";
import { channelStub, connectChannel, joinChannel, uniqueChannel } from "./channel-helpers";
import { api, createProject, mintToken } from "./helpers";

/** Connects, expects a refusal: an error frame first, then a close with `closeCode`. */
async function expectRefused(
  channel: string,
  options: Parameters<typeof connectChannel>[1],
  code: string,
  closeCode: number,
) {
  const socket = await connectChannel(channel, options);
  expect(socket.response.status).toBe(101);
  expect(await socket.next()).toMatchObject({ v: 1, type: "error", ref: null, code });
  expect(await socket.closed()).toEqual({ code: closeCode, reason: code });
}

describe("channel auth", () => {
  it("refuses missing or bad credentials in-band (error frame, close 4001), never with HTTP 401", async () => {
    const channel = uniqueChannel();
    await expectRefused(channel, {}, "unauthorized", 4001);
    await expectRefused(channel, { query: { api_key: "pk_nope" } }, "unauthorized", 4001);
    await expectRefused(channel, { protocols: ["flarebase.v1", "flarebase.token.not-a-jwt"] }, "unauthorized", 4001);
  });

  it("refuses an expired token with token_expired and 4002", async () => {
    const project = await createProject();
    const { token } = await mintRaw(env.DB, project.id, { user_id: "u" }, -10);
    await expectRefused(
      uniqueChannel(),
      { protocols: ["flarebase.v1", `flarebase.token.${token}`] },
      "token_expired",
      4002,
    );
  });

  it("closes a connection whose token expires during the session", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const { token } = await mintToken(project, { user_id: "u" });
    const { socket } = await joinChannel(channel, { protocols: ["flarebase.v1", `flarebase.token.${token}`] });
    const stub = channelStub(env, project.id, channel);
    await runInDurableObject(stub, (_instance: ChannelObject, state) => {
      for (const ws of state.getWebSockets()) ws.serializeAttachment({ ...ws.deserializeAttachment(), exp: 1 });
    });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    socket.send({ v: 1, type: "ping", ref: 1 });
    expect(await socket.next()).toMatchObject({ type: "error", code: "token_expired", ref: null });
    expect((await socket.closed()).code).toBe(4002);
  });

  it("stops delivering to a listener whose token expired, even when only REST publishes arrive", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const { token } = await mintToken(project, { user_id: "listener" });
    const { socket } = await joinChannel(channel, { protocols: ["flarebase.v1", `flarebase.token.${token}`] });
    const stub = channelStub(env, project.id, channel);
    await runInDurableObject(stub, (_instance: ChannelObject, state) => {
      for (const ws of state.getWebSockets()) ws.serializeAttachment({ ...ws.deserializeAttachment(), exp: 1 });
    });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const published = await api(`/v1/channels/${channel}/messages`, {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret },
      json: { name: "news", data: "after expiry" },
    });
    expect(published.status).toBe(201);
    expect(await socket.next()).toMatchObject({ type: "error", code: "token_expired", ref: null });
    expect((await socket.closed()).code).toBe(4002);
  });

  it("never accepts a secret key from a URL or a browser, but does from a server's header", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    await expectRefused(channel, { query: { api_key: project.keys.secret } }, "secret_key_not_allowed", 4003);
    await expectRefused(
      channel,
      {
        protocols: ["flarebase.v1", `flarebase.key.${project.keys.secret}`],
        headers: { Origin: "https://app.example" },
      },
      "secret_key_not_allowed",
      4003,
    );
    const server = await joinChannel(channel, { headers: { "X-API-Key": project.keys.secret } });
    expect(server.hello).toMatchObject({
      client_id: "server",
      capabilities: ["subscribe", "publish", "presence", "history"],
    });
    expect(server.socket.response.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    server.socket.close();
  });

  it("checks the project's allowed origins for browser connections", async () => {
    const project = await createProject({ allowed_origins: ["https://good.example"] });
    const channel = uniqueChannel();
    const key = { query: { api_key: project.keys.public } };
    await expectRefused(channel, { ...key, headers: { Origin: "https://evil.example" } }, "origin_not_allowed", 4003);
    const ok = await joinChannel(channel, { ...key, headers: { Origin: "https://good.example" } });
    expect(ok.hello.client_id).toMatch(/^anon-/);
    ok.socket.close();
  });

  it("applies token capabilities by channel pattern", async () => {
    const project = await createProject();
    const { token } = await mintToken(project, {
      user_id: "reader",
      claims: { channels: { "chat:*": ["subscribe", "history"], "chat:own": ["*"] } },
    });
    const auth = { protocols: ["flarebase.v1", `flarebase.token.${token}`], query: { client_id: "spoofed" } };
    const chat = await joinChannel("chat:lobby", auth);
    expect(chat.hello).toMatchObject({
      client_id: "reader",
      user_id: "reader",
      capabilities: ["subscribe", "history"],
    });
    expect(await chat.socket.publish("n", 1)).toMatchObject({
      type: "error",
      code: "forbidden",
      details: { capability: "publish" },
    });
    expect(await chat.socket.request({ type: "history" })).toMatchObject({ type: "history_page" });
    chat.socket.close();
    const own = await joinChannel("chat:own", auth);
    expect(own.hello.capabilities).toEqual(["subscribe", "publish", "presence", "history"]);
    own.socket.close();
    await expectRefused("news", auth, "forbidden", 4003);

    const headers = { Authorization: `Bearer ${token}` };
    const post = await api("/v1/channels/chat:lobby/messages", { method: "POST", headers, json: { name: "n" } });
    expect(post.status).toBe(403);
    const read = await api("/v1/channels/news/messages", { headers });
    expect(read.status).toBe(403);
    const spoof = await api("/v1/channels/chat:own/messages", {
      method: "POST",
      headers,
      json: { name: "n", client_id: "someone-else" },
    });
    expect(spoof.status).toBe(403);
  });

  it("refuses bad channel names and bad connect parameters with their own codes", async () => {
    const project = await createProject();
    const key = { query: { api_key: project.keys.public } };
    await expectRefused("bad name", key, "invalid_channel", 4004);
    await expectRefused("x".repeat(256), key, "invalid_channel", 4004);
    await expectRefused("_system", key, "invalid_channel", 4004);
    await expectRefused("ok", { query: { ...key.query, client_id: "has space" } }, "invalid_request", 4000);
    await expectRefused("ok", { query: { ...key.query, since_seq: "-1" } }, "invalid_request", 4000);
    const broadcast = await joinChannel("_broadcast", key);
    expect(broadcast.hello.channel).toBe("_broadcast");
    broadcast.socket.close();
  });

  it("answers a plain GET (no upgrade) with 426 and the JSON error envelope", async () => {
    const response = await api("/v1/realtime/channels/x");
    expect(response.status).toBe(426);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_request" } });
  });
});
