import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ChannelServerFrame } from "../../core/protocol/channel";
import { connectRequest } from "../../core/protocol/connect-params";
import { USER_ID_PATTERN } from "../../core/protocol/identifiers";
import { channelStub, joinChannel, TestSocket, uniqueChannel } from "./channel-helpers";
import { api, createProject, errorOf, mintToken } from "./helpers";
import { connectRoom, uniqueRoom } from "./room-helpers";
import { connectWatcher, uniqueCollection } from "./watcher-helpers";

/** User ids that are valid, and were refused by every realtime upgrade before one definition. */
const USER_IDS = ["alice smith", "user/42", "日本", "ann@example.com", "x".repeat(200), "🙂".repeat(255)];

describe("one definition of a user id", () => {
  it("accepts any character but control characters and lone surrogates, 1 to 255 of them", () => {
    for (const id of USER_IDS) expect(USER_ID_PATTERN.test(id), id).toBe(true);
    for (const id of ["", "a\nb", "tab\there", "nul\u0000", "\ud800", "x".repeat(256), "\u009f"]) {
      expect(USER_ID_PATTERN.test(id), JSON.stringify(id)).toBe(false);
    }
  });

  it("mints tokens for every user id and refuses the rest with a typed 400", async () => {
    const project = await createProject();
    for (const user_id of USER_IDS) {
      const { token } = await mintToken(project, { user_id });
      const me = await api("/v1/auth/me", { headers: { Authorization: `Bearer ${token}` } });
      expect(await me.json(), user_id).toMatchObject({ kind: "user", user_id });
    }
    for (const user_id of ["", "line\nbreak", "x".repeat(256)]) {
      const response = await api("/v1/auth/token", {
        method: "POST",
        headers: { "X-API-Key": project.keys.secret },
        json: { user_id },
      });
      expect(await errorOf(response), JSON.stringify(user_id)).toMatchObject({ status: 400, code: "invalid_request" });
    }
  });

  it("a token for every user id connects to a channel, a room and a watcher, as that user", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const rules = await api(`/v1/collections/${collection}/rules`, {
      method: "PUT",
      headers: { "X-API-Key": project.keys.secret },
      json: { read: "auth.id != null" },
    });
    expect(rules.status).toBe(200);
    for (const userId of USER_IDS) {
      const { token } = await mintToken(project, { user_id: userId });
      const protocols = ["flarebase.v1", `flarebase.token.${token}`];
      const { socket, hello } = await joinChannel(uniqueChannel(), { protocols });
      expect(hello, userId).toMatchObject({ client_id: userId, user_id: userId });
      expect(await socket.publish("n", { from: userId }), userId).toMatchObject({ type: "ack" });
      socket.close();

      const room = await connectRoom(uniqueRoom(), token, { mode: "create", title: "t" });
      expect(await room.next(), userId).toMatchObject({ type: "hello", client_id: userId, user_id: userId });
      room.close();

      const watcher = await connectWatcher(collection, token);
      expect(await watcher.next(), userId).toMatchObject({ type: "hello", client_id: userId, user_id: userId });
      watcher.close();
    }
  });

  it("an object refuses bad connect parameters in-band: an error frame and a close code, not plain-text HTTP", async () => {
    const project = await createProject();
    const stub = channelStub(env, project.id, uniqueChannel());
    const request = connectRequest({
      project_id: project.id,
      name: "c",
      client_id: "bad\u0000id",
      user_id: null,
      kind: "public",
      ops: 0,
      token_exp: null,
      since_seq: null,
      epoch: null,
      subprotocol: false,
    });
    const response = await stub.fetch(request);
    expect(response.status).toBe(101);
    const socket = new TestSocket<ChannelServerFrame>(response.webSocket as WebSocket, response, ChannelServerFrame);
    expect(await socket.next()).toMatchObject({ type: "error", code: "invalid_request", ref: null });
    expect((await socket.closed()).code).toBe(4000);
  });
});
