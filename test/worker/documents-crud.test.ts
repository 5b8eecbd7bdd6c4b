import { describe, expect, it } from "vitest";
import { type Doc, expectStatus, projectWithSecret } from "./documents-helpers";
import { api, errorOf } from "./helpers";

const path = "/v1/collections/notes/documents";

describe("documents CRUD", () => {
  it("creates a document with a generated, time-ordered id and returns it whole", async () => {
    const { secret } = await projectWithSecret();
    const response = await secret.post(path, { data: { title: "hello", tags: ["a"], nested: { n: 1 } } });
    expect(response.headers.get("ETag")).toBe('"1"');
    const doc = await expectStatus<Doc>(response, 201);
    expect(doc).toMatchObject({ data: { title: "hello", tags: ["a"], nested: { n: 1 } }, version: 1 });
    expect(doc.id).toMatch(/^[0-9a-z]{20}$/);
    expect(doc.created_at).toBe(doc.updated_at);
    expect(new Date(doc.created_at).toISOString()).toBe(doc.created_at);
    const second = await expectStatus<Doc>(secret.post(path, { data: {} }), 201);
    expect(second.id > doc.id).toBe(true);
    expect(await expectStatus(secret.get(`${path}/${doc.id}`), 200)).toEqual(doc);
  });

  it("creates under a client id and refuses the same id twice with 409 conflict", async () => {
    const { secret } = await projectWithSecret();
    await expectStatus(secret.post(path, { id: "user@example.com", data: { a: 1 } }), 201);
    const again = await errorOf(await secret.post(path, { id: "user@example.com", data: { a: 2 } }));
    expect(again).toMatchObject({ status: 409, code: "conflict" });
    expect((await expectStatus<Doc>(secret.get(`${path}/user@example.com`), 200)).data).toEqual({ a: 1 });
  });

  it("PATCH merges top-level fields, PUT replaces, and each bumps the version", async () => {
    const { secret } = await projectWithSecret();
    const doc = await expectStatus<Doc>(secret.post(path, { id: "n1", data: { a: 1, b: { x: 1 } } }), 201);
    const patched = await expectStatus<Doc>(secret.patch(`${path}/n1`, { data: { b: { y: 2 }, c: null } }), 200);
    expect(patched).toMatchObject({ data: { a: 1, b: { y: 2 }, c: null }, version: 2, created_at: doc.created_at });
    const replaced = await expectStatus<Doc>(secret.put(`${path}/n1`, { data: { z: true } }), 200);
    expect(replaced).toMatchObject({ data: { z: true }, version: 3 });
  });

  it("PUT creates a missing document (201) and PATCH of a missing one is 404", async () => {
    const { secret } = await projectWithSecret();
    expect(await expectStatus<Doc>(secret.put(`${path}/fresh`, { data: { a: 1 } }), 201)).toMatchObject({
      id: "fresh",
      version: 1,
    });
    expect(await errorOf(await secret.patch(`${path}/missing`, { data: { a: 1 } }))).toMatchObject({
      status: 404,
      code: "not_found",
    });
    expect(await errorOf(await secret.delete(`${path}/missing`))).toMatchObject({ status: 404, code: "not_found" });
  });

  it("deletes with a JSON answer, after which the document is gone", async () => {
    const { secret } = await projectWithSecret();
    await expectStatus(secret.post(path, { id: "d1", data: {} }), 201);
    expect(await expectStatus(secret.delete(`${path}/d1`), 200)).toEqual({ id: "d1", deleted: true, version: 1 });
    expect(await errorOf(await secret.get(`${path}/d1`))).toMatchObject({ status: 404, code: "not_found" });
  });

  it("applies If-Match: the right version writes, a stale one gets 409 and changes nothing", async () => {
    const { secret } = await projectWithSecret();
    await expectStatus(secret.post(path, { id: "v", data: { n: 0 } }), 201);
    await expectStatus(secret.patch(`${path}/v`, { data: { n: 1 } }, { "If-Match": '"1"' }), 200);
    const stale = await errorOf(await secret.patch(`${path}/v`, { data: { n: 99 } }, { "If-Match": "1" }));
    expect(stale).toMatchObject({ status: 409, code: "conflict", details: { expected_version: 1, version: 2 } });
    expect(await errorOf(await secret.put(`${path}/v`, { data: {} }, { "If-Match": 'W/"7"' }))).toMatchObject({
      status: 409,
    });
    expect(await errorOf(await secret.delete(`${path}/v`, { "If-Match": "3" }))).toMatchObject({ status: 409 });
    expect(await errorOf(await secret.put(`${path}/nope`, { data: {} }, { "If-Match": "1" }))).toMatchObject({
      status: 409,
    });
    expect(await errorOf(await secret.patch(`${path}/v`, { data: {} }, { "If-Match": "abc" }))).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    expect((await expectStatus<Doc>(secret.get(`${path}/v`), 200)).data).toEqual({ n: 1 });
    await expectStatus(secret.delete(`${path}/v`, { "If-Match": "2" }), 200);
  });

  it("applies field operators on PATCH: increment, server timestamp, array append/remove, delete field", async () => {
    const { secret } = await projectWithSecret();
    await expectStatus(secret.post(path, { id: "ops", data: { n: 1, tags: ["a", "b", "a"], gone: 1, keep: 1 } }), 201);
    const doc = await expectStatus<Doc>(
      secret.patch(`${path}/ops`, {
        operators: {
          n: { type: "increment", value: 2.5 },
          "stats.views": { type: "increment", value: 1 },
          seen_at: { type: "server_timestamp" },
          tags: { type: "array_remove", values: ["a"] },
          list: { type: "array_append", values: [1, { x: 1 }] },
          gone: { type: "delete_field" },
        },
      }),
      200,
    );
    expect(doc.data).toEqual({
      n: 3.5,
      tags: ["b"],
      keep: 1,
      stats: { views: 1 },
      seen_at: doc.updated_at,
      list: [1, { x: 1 }],
    });
    const unique = await expectStatus<Doc>(
      secret.patch(`${path}/ops`, {
        operators: { list: { type: "array_append", values: [{ x: 1 }, 2, 2], unique: true } },
      }),
      200,
    );
    expect(unique.data.list).toEqual([1, { x: 1 }, 2]);
  });

  it("refuses operators that meet the wrong type, and writes nothing", async () => {
    const { secret } = await projectWithSecret();
    await expectStatus(secret.post(path, { id: "t", data: { s: "text", o: { a: 1 } } }), 201);
    for (const operators of [
      { s: { type: "increment", value: 1 } },
      { o: { type: "array_append", values: [1] } },
      { "s.deeper": { type: "server_timestamp" } },
      { n: { type: "increment", value: 1e308 }, m: { type: "bogus" } },
      { "bad path": { type: "delete_field" } },
    ]) {
      const error = await errorOf(await secret.patch(`${path}/t`, { operators }));
      expect(error).toMatchObject({ status: 400, code: "invalid_request" });
    }
    expect(await expectStatus<Doc>(secret.get(`${path}/t`), 200)).toMatchObject({ version: 1 });
  });

  it("stores a field named __proto__ as data, never as a prototype", async () => {
    const { secret } = await projectWithSecret();
    const doc = await expectStatus<Doc>(
      secret.post(path, { data: JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') }),
      201,
    );
    expect(Object.keys(doc.data)).toContain("__proto__");
    const patched = await expectStatus<Doc>(
      secret.patch(`${path}/${doc.id}`, { operators: { "__proto__.x": { type: "increment", value: 1 } } }),
      200,
    );
    expect(JSON.stringify(patched.data)).toBe('{"__proto__":{"polluted":true,"x":1},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("validates bodies, ids and collection names", async () => {
    const { secret } = await projectWithSecret();
    const cases: [Promise<Response>, number, string][] = [
      [secret.post(path, { data: [1, 2] }), 400, "invalid_request"],
      [secret.post(path, { data: "x" }), 400, "invalid_request"],
      [secret.post(path, {}), 400, "invalid_request"],
      [secret.post(path, { data: {}, extra: 1 }), 400, "invalid_request"],
      [secret.post(path, { id: "../x", data: {} }), 400, "invalid_request"],
      [secret.post(path, { id: "a b", data: {} }), 400, "invalid_request"],
      [secret.post(path, { id: "x".repeat(129), data: {} }), 400, "invalid_request"],
      [secret.post("/v1/collections/1bad/documents", { data: {} }), 400, "invalid_request"],
      [secret.post("/v1/collections/bad.name/documents", { data: {} }), 400, "invalid_request"],
      [secret.get(`/v1/collections/${"c".repeat(65)}/documents`), 400, "invalid_request"],
      [secret.patch(`${path}/x`, {}), 400, "invalid_request"],
    ];
    for (const [response, status, code] of cases) expect(await errorOf(await response)).toMatchObject({ status, code });
  });

  it("enforces the document size and depth limits with clear errors", async () => {
    const { project, secret } = await projectWithSecret();
    const big = await errorOf(await secret.post(path, { data: { text: "x".repeat(256 * 1024) } }));
    expect(big).toMatchObject({ status: 413, code: "payload_too_large", details: { max_bytes: 262144 } });
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(await errorOf(await secret.post(path, { data: deep }))).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    // Deep enough to overflow a recursive validator: refused cleanly, not with a 500.
    const hostile = `{"data":{"a":${"[".repeat(50_000)}${"]".repeat(50_000)}}}`;
    const response = await api(path, {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret, "Content-Type": "application/json" },
      body: hostile,
    });
    expect(await errorOf(response)).toMatchObject({ status: 400, code: "invalid_request" });
    // An increment pushing a document over the limit is refused too (limit checked on the result).
    await expectStatus(secret.post(path, { id: "grow", data: { text: "y".repeat(200 * 1024) } }), 201);
    const grown = await errorOf(
      await secret.patch(`${path}/grow`, {
        operators: { more: { type: "array_append", values: ["z".repeat(60 * 1024)] } },
      }),
    );
    expect(grown).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("needs credentials, and a document of one project is invisible to another", async () => {
    const { project, secret } = await projectWithSecret();
    const other = await projectWithSecret();
    await expectStatus(secret.post(path, { id: "mine", data: { secret: 1 } }), 201);
    expect(await errorOf(await other.secret.get(`${path}/mine`))).toMatchObject({ status: 404 });
    expect(await errorOf(await other.secret.patch(`${path}/mine`, { data: { x: 1 } }))).toMatchObject({ status: 404 });
    expect(await errorOf(await other.secret.delete(`${path}/mine`))).toMatchObject({ status: 404 });
    // The same id in another project is a different document.
    await expectStatus(other.secret.post(path, { id: "mine", data: { theirs: 1 } }), 201);
    expect((await expectStatus<Doc>(secret.get(`${path}/mine`), 200)).data).toEqual({ secret: 1 });
    const listed = await expectStatus<{ items: Doc[] }>(other.secret.get(path), 200);
    expect(listed.items.map((d) => d.data)).toEqual([{ theirs: 1 }]);
    const anonymous = await errorOf(await api(`${path}/mine`));
    expect(anonymous).toMatchObject({ status: 401, code: "unauthorized" });
    expect(project.id).not.toBe(other.project.id);
  });
});
