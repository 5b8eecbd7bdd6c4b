import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseJsonText, scanJsonText } from "../../core/json-limits";
import { joinChannel, uniqueChannel } from "./channel-helpers";
import { api, createProject, errorOf, type TestProject } from "./helpers";
import { create, uniqueRoom } from "./room-helpers";

/** `[[[…0…]]]` nested `depth` deep, as text (building it as a value would need recursion to send). */
const nested = (depth: number) => `${"[".repeat(depth)}0${"]".repeat(depth)}`;

/** POSTs a raw JSON text with a key and returns the typed error it got. */
async function postText(path: string, key: string, text: string) {
  const response = await api(path, {
    method: "POST",
    headers: { "X-API-Key": key, "Content-Type": "application/json" },
    body: text,
  });
  return errorOf(response);
}

const TOO_DEEP = { status: 400, code: "invalid_request", details: { max_depth: MAX_JSON_DEPTH } };

describe("the JSON reader of core/json-limits.ts", () => {
  it("accepts nesting up to the limit and refuses one more", () => {
    expect(parseJsonText(nested(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseJsonText(nested(MAX_JSON_DEPTH + 1))).toMatchObject({ ok: false, problem: { kind: "too_deep" } });
  });

  it("counts only brackets outside strings, escaped quotes included", () => {
    const text = JSON.stringify({ s: `"${"[".repeat(500)}\\"{{{`, t: "\\" });
    expect(scanJsonText(text)).toBeNull();
    expect(parseJsonText(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it("refuses numbers a double cannot hold, and nothing that only looks like one", () => {
    for (const text of ['{"n":1e400}', "[-1E+400]", `[${"9".repeat(400)}]`]) {
      expect(parseJsonText(text), text).toMatchObject({ ok: false, problem: { kind: "non_finite" } });
    }
    for (const text of ['{"n":1e308}', '["1e400"]', "[-0.5e-400]", "[1.7976931348623157e308]"]) {
      expect(parseJsonText(text).ok, text).toBe(true);
    }
  });

  it("never throws: a million brackets or broken text are problems, not exceptions", () => {
    expect(parseJsonText("[".repeat(1_000_000))).toMatchObject({ ok: false, problem: { kind: "too_deep" } });
    expect(parseJsonText(nested(40), 1_000_000).ok).toBe(true);
    expect(parseJsonText('{"a":')).toMatchObject({ ok: false, problem: { kind: "syntax" } });
    expect(parseJsonText('"unterminated')).toMatchObject({ ok: false, problem: { kind: "syntax" } });
  });
});

describe("deep and non-finite JSON on every path where JSON enters", () => {
  let project: TestProject;
  const deep = nested(5000);

  it("REST: a create with deeply nested operator values, a batch, token claims: 400 invalid_request", async () => {
    project = await createProject();
    const key = project.keys.secret;
    const operators = `{"data":{},"operators":{"t":{"type":"array_append","values":[${deep}]}}}`;
    expect(await postText("/v1/collections/bad/documents", key, operators)).toMatchObject(TOO_DEEP);
    const batch = `{"operations":[{"op":"create","collection":"bad","data":{},"operators":{"t":{"type":"array_remove","values":[${deep}]}}}]}`;
    expect(await postText("/v1/batch", key, batch)).toMatchObject(TOO_DEEP);
    expect(await postText("/v1/auth/token", key, `{"user_id":"u1","claims":{"c":${nested(2000)}}}`)).toMatchObject(
      TOO_DEEP,
    );
    const listed = await api("/v1/collections/bad/documents", { headers: { "X-API-Key": key } });
    expect(await listed.json()).toMatchObject({ items: [] });
  });

  it("REST: a channel publish with deep data, with a public key, is the same 400", async () => {
    project = await createProject();
    for (const depth of [5000, 20_000]) {
      const text = `{"name":"n","data":${nested(depth)}}`;
      expect(await postText("/v1/channels/deep/messages", project.keys.public, text)).toMatchObject(TOO_DEEP);
    }
  });

  it("REST: a number beyond a double (1e400) is refused, not stored as null", async () => {
    project = await createProject();
    const error = await postText("/v1/collections/nums/documents", project.keys.secret, '{"data":{"n":1e400}}');
    expect(error).toMatchObject({ status: 400, code: "invalid_request", details: { number: "1e400" } });
  });

  it("WebSocket: a channel publish with deep data gets a typed error frame, and the socket keeps working", async () => {
    project = await createProject();
    const { socket } = await joinChannel(uniqueChannel(), { query: { api_key: project.keys.public } });
    socket.send(`{"v":1,"type":"publish","ref":7,"id":"x","name":"n","data":${nested(20_000)}}`);
    expect(await socket.reply(7)).toMatchObject({ type: "error", code: "invalid_frame", details: TOO_DEEP.details });
    socket.send('{"v":1,"type":"publish","ref":8,"id":"y","name":"n","data":1e400}');
    expect(await socket.reply(8)).toMatchObject({ type: "error", code: "invalid_frame" });
    expect(await socket.publish("n", { ok: true })).toMatchObject({ type: "ack" });
    socket.close();
  });

  it("WebSocket: a room state_update with a value 25,000 deep gets a typed error frame, not internal", async () => {
    project = await createProject();
    const { socket } = await create(project, uniqueRoom(), "alice");
    socket.send(
      `{"v":1,"type":"state_update","ref":3,"id":"s1","ops":[{"op":"set","path":"a","value":${nested(25_000)}}]}`,
    );
    expect(await socket.reply(3)).toMatchObject({ type: "error", code: "invalid_frame", details: TOO_DEEP.details });
    const ok = await socket.request({ type: "state_update", id: "s2", ops: [{ op: "set", path: "a", value: 1 }] });
    expect(ok).toMatchObject({ type: "ack", version: 1 });
    socket.close();
  });
});
