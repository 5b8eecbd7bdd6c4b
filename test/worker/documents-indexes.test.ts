import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CollectionAccess } from "../../data/documents/access";
import { listStatement, parseListOptions } from "../../data/documents/list-query";
import type { AuthContext } from "../../worker/auth/auth-context";
import { expectStatus, projectWithSecret, seed } from "./documents-helpers";
import { adminHeaders, api, errorOf } from "./helpers";

/** The query plan of the list the REST endpoint would run for this query string. */
async function planOf(projectId: string, collection: string, query: string) {
  const auth: AuthContext = {
    projectId,
    kind: "secret",
    keyId: "k",
    userId: null,
    role: null,
    claims: {},
    sessionId: null,
    channelCapabilities: null,
  };
  const access = await CollectionAccess.load(env.DB, auth, collection);
  const { sql, params } = listStatement(projectId, collection, access, parseListOptions(new URLSearchParams(query)));
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail).join(" | ");
}

async function populated() {
  const context = await projectWithSecret();
  await seed(
    context.secret,
    "users",
    Array.from({ length: 300 }, (_, i) => ({
      id: `u${i}`,
      data: { age: i % 90, email: `u${i}@x.test`, profile: { city: `c${i % 60}` } },
    })),
  );
  return context;
}

describe("indexes", () => {
  it("creates an expression index the filtered list then uses, and drops it", async () => {
    const { project, secret } = await populated();
    expect(await planOf(project.id, "users", "age=42")).not.toMatch(/USING INDEX fbx_/);
    const created = await expectStatus(secret.post("/v1/collections/users/indexes", { fields: ["age"] }), 201);
    expect(created).toMatchObject({ name: "age", fields: ["age"], unique: false });
    expect(await planOf(project.id, "users", `filter=${encodeURIComponent("age == 42")}`)).toMatch(/USING INDEX fbx_/);
    expect(await planOf(project.id, "users", `filter=${encodeURIComponent("age >= 80 && age < 85")}`)).toMatch(
      /USING INDEX fbx_/,
    );
    // The results are the same with the index.
    const page = await expectStatus<{ total: number }>(
      secret.get("/v1/collections/users/documents?filter=age%20%3D%3D%2042&total=true"),
      200,
    );
    expect(page.total).toBe(3);
    expect(await expectStatus(secret.get("/v1/collections/users/indexes"), 200)).toMatchObject({
      items: [{ name: "age" }],
    });
    expect(await expectStatus(secret.delete("/v1/collections/users/indexes/age"), 200)).toEqual({
      name: "age",
      deleted: true,
    });
    expect(await planOf(project.id, "users", `filter=${encodeURIComponent("age == 42")}`)).not.toMatch(
      /USING INDEX fbx_/,
    );
    expect(await errorOf(await secret.delete("/v1/collections/users/indexes/age"))).toMatchObject({ status: 404 });
  });

  it("uses an index made after the fact even when many documents share each value", async () => {
    // 300 documents, 10 values of `tier`: 30 per value, more than SQLite's default guess for the
    // primary key's (project_id, collection) range, which won over the index before the primary
    // key got statistics of its own.
    const { project, secret } = await projectWithSecret();
    await seed(
      secret,
      "crowd",
      Array.from({ length: 300 }, (_, i) => ({ id: `c${i}`, data: { tier: i % 10 } })),
    );
    await expectStatus(secret.post("/v1/collections/crowd/indexes", { fields: ["tier"] }), 201);
    expect(await planOf(project.id, "crowd", `filter=${encodeURIComponent("tier == 3")}&limit=100`)).toMatch(
      /USING INDEX fbx_/,
    );
  });

  it("indexes nested fields, and an index of one project or collection is never used for another", async () => {
    const { project, secret } = await populated();
    await expectStatus(
      secret.post("/v1/collections/users/indexes", { name: "by_city", fields: ["profile.city", "age"] }),
      201,
    );
    expect(await planOf(project.id, "users", "profile.city=c3")).toMatch(/USING INDEX fbx_/);
    expect(await planOf(project.id, "others", "profile.city=c3")).not.toMatch(/USING INDEX fbx_/);
    const other = await populated();
    expect(await planOf(other.project.id, "users", "profile.city=c3")).not.toMatch(/USING INDEX fbx_/);
  });

  it("enforces unique indexes on writes, naming the index", async () => {
    const { secret } = await populated();
    const dup = await errorOf(await secret.post("/v1/collections/users/indexes", { fields: ["age"], unique: true }));
    expect(dup).toMatchObject({ status: 409, code: "conflict" });
    await expectStatus(
      secret.post("/v1/collections/users/indexes", { name: "email", fields: ["email"], unique: true }),
      201,
    );
    const clash = await errorOf(await secret.post("/v1/collections/users/documents", { data: { email: "u1@x.test" } }));
    expect(clash).toMatchObject({
      status: 409,
      code: "conflict",
      details: { collection: "users", index_name: "email" },
    });
    // Documents without the field never clash.
    await expectStatus(secret.post("/v1/collections/users/documents", { data: {} }), 201);
    await expectStatus(secret.post("/v1/collections/users/documents", { data: {} }), 201);
    // The same value in another collection is fine.
    await expectStatus(secret.post("/v1/collections/admins/documents", { data: { email: "u1@x.test" } }), 201);
  });

  it("validates names and fields strictly, since DDL cannot bind parameters", async () => {
    const { secret } = await projectWithSecret();
    for (const body of [
      { fields: ["age') OR 1=1 --"] },
      { fields: ["a b"] },
      { fields: ["a'"] },
      { fields: [] },
      { fields: ["a", "b", "c", "d", "e", "f"] },
      { name: "x'; DROP TABLE documents; --", fields: ["a"] },
      { name: "1abc", fields: ["a"] },
      { fields: ["a"], where: "1=1" },
    ]) {
      expect(
        await errorOf(await secret.post("/v1/collections/users/indexes", body)),
        JSON.stringify(body),
      ).toMatchObject({
        status: 400,
      });
    }
    expect((await errorOf(await secret.post("/v1/collections/x'y/indexes", { fields: ["a"] }))).status).toBe(400);
    await expectStatus(secret.post("/v1/collections/users/indexes", { fields: ["a"] }), 201);
    expect(await errorOf(await secret.post("/v1/collections/users/indexes", { fields: ["a"] }))).toMatchObject({
      status: 409,
    });
  });

  it("caps indexes per collection", async () => {
    const { secret } = await projectWithSecret();
    for (let i = 0; i < 16; i++)
      await expectStatus(secret.post("/v1/collections/many/indexes", { fields: [`f${i}`] }), 201);
    expect(await errorOf(await secret.post("/v1/collections/many/indexes", { fields: ["f99"] }))).toMatchObject({
      status: 400,
    });
  });

  it("is managed by the operator through the admin API too", async () => {
    const { project } = await projectWithSecret();
    const base = `/v1/admin/projects/${project.id}/collections/users/indexes`;
    expect((await api(base, { method: "POST", headers: adminHeaders, json: { fields: ["age"] } })).status).toBe(201);
    expect(await (await api(base, { headers: adminHeaders })).json()).toMatchObject({ items: [{ name: "age" }] });
    expect((await api(`${base}/age`, { method: "DELETE", headers: adminHeaders })).status).toBe(200);
    expect((await api(base, { method: "POST", json: { fields: ["age"] } })).status).toBe(401);
  });
});
