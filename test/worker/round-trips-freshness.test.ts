import { describe, expect, it } from "vitest";
import { as, expectStatus, setRules } from "./documents-helpers";
import { adminHeaders, api, createProject, errorOf, mintToken, type TestProject } from "./helpers";

/**
 * What a request does not read on a trip of its own any more (data/d1/precondition.ts) still
 * holds at once: a key's identity and a collection's rules are remembered per isolate, but a
 * revocation stops the very next request, and a rule change applies to the very next request,
 * however warm the caches are.
 */

const OPEN = { read: "true", list: "true", create: "true", update: "true", delete: "true" };

async function warmProject() {
  const project = await createProject();
  await setRules(as(project.keys.secret), "notes", OPEN);
  const pub = as(project.keys.public);
  await expectStatus(pub.post("/v1/collections/notes/documents", { id: "a", data: { n: 1 } }), 201);
  // Every kind of request once, so the isolate has seen the key and the rules.
  await expectStatus(pub.get("/v1/collections/notes/documents/a"), 200);
  await expectStatus(pub.get("/v1/collections/notes/documents?n_gt=0"), 200);
  return { project, pub };
}

/** Revokes a key through the admin API (its id is the key's middle part). */
async function revoke(project: TestProject, key: string) {
  const id = key.split("_")[1];
  await expectStatus(
    api(`/v1/admin/projects/${project.id}/keys/${id}`, { method: "DELETE", headers: adminHeaders }),
    200,
  );
}

describe("cached credentials and rules stay exact", () => {
  it("a revoked key's next request is refused, whatever it asks", async () => {
    const requests: [string, (c: ReturnType<typeof as>) => Promise<Response>][] = [
      ["get", (c) => c.get("/v1/collections/notes/documents/a")],
      ["list", (c) => c.get("/v1/collections/notes/documents?n_gt=0")],
      ["count", (c) => c.get("/v1/collections/notes/count")],
      ["aggregate", (c) => c.get("/v1/collections/notes/aggregate?operation=sum&field=n")],
      ["create", (c) => c.post("/v1/collections/notes/documents", { data: { n: 2 } })],
      ["update", (c) => c.patch("/v1/collections/notes/documents/a", { data: { n: 3 } })],
      ["batch", (c) => c.post("/v1/collections/notes/batch", { operations: [{ op: "create", data: { n: 4 } }] })],
    ];
    for (const [name, request] of requests) {
      const { project, pub } = await warmProject();
      await expectStatus(request(pub), name === "create" ? 201 : 200);
      await revoke(project, project.keys.public);
      const refused = await errorOf(await request(pub));
      expect({ name, ...refused }).toMatchObject({ name, status: 401, code: "unauthorized" });
    }
  });

  it("a revoked key cannot write even when its create needs no read", async () => {
    const { project, pub } = await warmProject();
    await revoke(project, project.keys.public);
    const before = await expectStatus<{ count: number }>(
      as(project.keys.secret).get("/v1/collections/notes/count"),
      200,
    );
    expect((await pub.post("/v1/collections/notes/documents", { data: { n: 9 } })).status).toBe(401);
    const after = await expectStatus<{ count: number }>(
      as(project.keys.secret).get("/v1/collections/notes/count"),
      200,
    );
    expect(after.count).toBe(before.count);
  });

  it("a deleted project's token stops at once", async () => {
    const { project } = await warmProject();
    const user = as((await mintToken(project)).token);
    await expectStatus(user.get("/v1/collections/notes/documents/a"), 200);
    await expectStatus(api(`/v1/admin/projects/${project.id}`, { method: "DELETE", headers: adminHeaders }), 204);
    expect((await user.get("/v1/collections/notes/documents/a")).status).toBe(401);
  });

  it("a rule change applies to the next list, count, get and create", async () => {
    const { project, pub } = await warmProject();
    const secret = as(project.keys.secret);
    await expectStatus(pub.post("/v1/collections/notes/documents", { id: "b", data: { n: 50 } }), 201);
    await setRules(secret, "notes", { ...OPEN, list: "doc.n >= 10", read: "doc.n >= 10", create: "data.n >= 10" });
    const page = await expectStatus<{ items: { id: string }[] }>(pub.get("/v1/collections/notes/documents"), 200);
    expect(page.items.map((d) => d.id)).toEqual(["b"]);
    expect(await expectStatus(pub.get("/v1/collections/notes/count"), 200)).toEqual({ count: 1 });
    expect((await pub.get("/v1/collections/notes/documents/a")).status).toBe(404);
    expect((await pub.post("/v1/collections/notes/documents", { data: { n: 1 } })).status).toBe(403);
    await expectStatus(pub.post("/v1/collections/notes/documents", { data: { n: 11 } }), 201);
    // And back: removing the list rule closes lists at once; opening creates again allows them.
    await setRules(secret, "notes", { read: "true", create: "true" });
    expect(await expectStatus(pub.get("/v1/collections/notes/count"), 200)).toEqual({ count: 3 });
    await expectStatus(pub.post("/v1/collections/notes/documents", { data: { n: 1 } }), 201);
    await setRules(secret, "notes", { read: "true" });
    expect((await pub.get("/v1/collections/notes/documents")).status).toBe(200);
    expect((await pub.post("/v1/collections/notes/documents", { data: { n: 1 } })).status).toBe(403);
  });
});
