import { describe, expect, it } from "vitest";
import { as, type Doc, enc, expectStatus, type Page, projectWithSecret, seed, setRules } from "./documents-helpers";
import { adminHeaders, api, errorOf, mintToken } from "./helpers";

const notes = "/v1/collections/notes/documents";

const OWNER_RULES = {
  read: "doc.owner == auth.id",
  create: "auth.id != null && data.owner == auth.id",
  update: "doc.owner == auth.id && data.owner == auth.id",
  delete: "doc.owner == auth.id",
};

/** A project whose notes belong to users: u1 owns n1..n10, u2 owns m1..m3. */
async function ownedNotes() {
  const { project, secret } = await projectWithSecret();
  await setRules(secret, "notes", OWNER_RULES);
  await seed(secret, "notes", [
    ...Array.from({ length: 10 }, (_, i) => ({ id: `n${i + 1}`, data: { owner: "u1", n: i + 1 } })),
    ...Array.from({ length: 3 }, (_, i) => ({ id: `m${i + 1}`, data: { owner: "u2", n: 100 } })),
  ]);
  const u1 = as((await mintToken(project, { user_id: "u1" })).token);
  const u2 = as((await mintToken(project, { user_id: "u2" })).token);
  return { project, secret, publicKey: as(project.keys.public), u1, u2 };
}

const changeCount = async (secret: ReturnType<typeof as>) =>
  (await expectStatus<{ last_seq: number }>(secret.get("/v1/collections/notes/changes?limit=1"), 200)).last_seq;

describe("rules: secure by default", () => {
  it("closes a collection without rules to public keys and users, but not to secret keys", async () => {
    const { project, secret } = await projectWithSecret();
    await expectStatus(secret.post(notes, { id: "a", data: { x: 1 } }), 201);
    const user = as((await mintToken(project)).token);
    for (const client of [as(project.keys.public), user]) {
      const attempts = [
        client.get(notes),
        client.get(`${notes}/a`),
        client.post(notes, { data: {} }),
        client.patch(`${notes}/a`, { data: { x: 2 } }),
        client.put(`${notes}/a`, { data: {} }),
        client.delete(`${notes}/a`),
        client.get("/v1/collections/notes/count"),
        client.get("/v1/collections/notes/aggregate?operation=sum&field=x"),
        client.post("/v1/collections/notes/batch", { operations: [{ op: "create", data: {} }] }),
        client.post("/v1/batch", { operations: [{ op: "delete", collection: "notes", id: "a" }] }),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(await errorOf(response)).toMatchObject({ status: 403, code: "forbidden" });
      }
    }
    expect((await expectStatus<Doc>(secret.get(`${notes}/a`), 200)).data).toEqual({ x: 1 });
  });

  it("lets only secret keys and the admin read and set rules, the changes feed and indexes", async () => {
    const { project, secret } = await projectWithSecret();
    const user = as((await mintToken(project)).token);
    for (const client of [as(project.keys.public), user]) {
      for (const response of [
        await client.put("/v1/collections/notes/rules", { read: "true" }),
        await client.get("/v1/collections/notes/rules"),
        await client.get("/v1/collections/notes/changes"),
        await client.post("/v1/collections/notes/indexes", { fields: ["a"] }),
        await client.get("/v1/collections"),
      ]) {
        expect(await errorOf(response)).toMatchObject({ status: 403, code: "forbidden" });
      }
    }
    const adminPath = `/v1/admin/projects/${project.id}/collections/notes/rules`;
    const set = await api(adminPath, {
      method: "PUT",
      headers: adminHeaders,
      json: { read: "true", list: "doc.public == true" },
    });
    expect(await expectStatus(set, 200)).toMatchObject({
      collection: "notes",
      rules: { read: "true", list: "doc.public == true" },
    });
    expect(await expectStatus(secret.get("/v1/collections/notes/rules"), 200)).toMatchObject({
      rules: { read: "true" },
    });
    expect((await api(adminPath, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await api(adminPath, { headers: { "X-API-Key": project.keys.secret } })).status).toBe(401);
    const missing = await api("/v1/admin/projects/pnope/collections/notes/rules", { headers: adminHeaders });
    expect(await errorOf(missing)).toMatchObject({ status: 404, code: "not_found" });
  });

  it("refuses a rule that does not parse, naming the operation and the position", async () => {
    const { secret } = await projectWithSecret();
    const error = await errorOf(
      await secret.put("/v1/collections/notes/rules", { read: "true", update: "doc.owner == " }),
    );
    expect(error).toMatchObject({ status: 400, code: "invalid_filter", details: { rule: "update" } });
    expect((error.details as { position: number }).position).toBeTypeOf("number");
    // Rules need explicit roots: a bare name is refused rather than guessed.
    expect(await errorOf(await secret.put("/v1/collections/notes/rules", { read: "owner == auth.id" }))).toMatchObject({
      code: "invalid_filter",
    });
    expect(await errorOf(await secret.put("/v1/collections/notes/rules", { reed: "true" }))).toMatchObject({
      code: "invalid_request",
    });
    expect(await expectStatus(secret.get("/v1/collections/notes/rules"), 200)).toMatchObject({ rules: {} });
  });

  it("opens a collection to public keys with `true` and closes it again when the rule is removed", async () => {
    const { project, secret } = await projectWithSecret();
    const publicKey = as(project.keys.public);
    await setRules(secret, "guestbook", { read: "true", create: "true" });
    await expectStatus(publicKey.post("/v1/collections/guestbook/documents", { data: { text: "hi" } }), 201);
    expect((await expectStatus<Page>(publicKey.get("/v1/collections/guestbook/documents"), 200)).items).toHaveLength(1);
    await setRules(secret, "guestbook", {});
    expect((await publicKey.get("/v1/collections/guestbook/documents")).status).toBe(403);
  });
});

describe("rules: owner-only notes", () => {
  it("lists, counts, totals and aggregates only what the read rule allows, in SQL, with correct paging", async () => {
    const { u1, u2 } = await ownedNotes();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await expectStatus<Page>(
        u1.get(`${notes}?limit=4&total=true${cursor ? `&cursor=${cursor}` : ""}`),
        200,
      );
      expect(page.items.length).toBeLessThanOrEqual(4);
      if (!cursor) expect(page.total).toBe(10);
      seen.push(...page.items.map((doc) => doc.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `n${i + 1}`).sort());
    expect(await expectStatus(u2.get("/v1/collections/notes/count"), 200)).toEqual({ count: 3 });
    const sum = await expectStatus<{ result: number }>(
      u1.get("/v1/collections/notes/aggregate?operation=sum&field=n"),
      200,
    );
    expect(sum.result).toBe(55);
    const grouped = await expectStatus<{ groups: { key: { owner: string } }[] }>(
      u2.get("/v1/collections/notes/aggregate?operation=count&group_by=owner"),
      200,
    );
    expect(grouped.groups.map((g) => g.key.owner)).toEqual(["u2"]);
  });

  it("cannot be widened by a filter: filters are ANDed with the rule, or-groups included", async () => {
    const { u2 } = await ownedNotes();
    for (const query of [
      "owner=u1",
      "[or]owner=u1&[or]owner=u2",
      `filter=${enc('owner == "u1" || true')}`,
      `filter=${enc("true")}`,
      "owner__or__n_ne=zzz",
    ]) {
      const page = await expectStatus<Page>(u2.get(`${notes}?${query}&total=true`), 200);
      expect(
        page.items.every((doc) => doc.data.owner === "u2"),
        query,
      ).toBe(true);
      expect(page.total, query).toBeLessThanOrEqual(3);
      const count = await expectStatus<{ count: number }>(u2.get(`/v1/collections/notes/count?${query}`), 200);
      expect(count.count, query).toBeLessThanOrEqual(3);
    }
    expect(await errorOf(await u2.get(`${notes}?filter=${enc('owner == "u2") || (1 == 1')}`))).toMatchObject({
      code: "invalid_filter",
    });
  });

  it("hides documents the read rule denies as not found", async () => {
    const { u1, u2, publicKey } = await ownedNotes();
    await expectStatus(u1.get(`${notes}/n1`), 200);
    expect(await errorOf(await u2.get(`${notes}/n1`))).toMatchObject({ status: 404, code: "not_found" });
    expect(await errorOf(await publicKey.get(`${notes}/n1`))).toMatchObject({ status: 404 });
  });

  it("answers 404 to PATCH, PUT and DELETE of a document the read rule hides, 403 when only the write rule denies", async () => {
    const { secret, u1, u2 } = await ownedNotes();
    await setRules(secret, "notes", { ...OWNER_RULES, read: "doc.owner == auth.id || doc.shared == true" });
    await seed(secret, "notes", [{ id: "shared1", data: { owner: "u1", shared: true } }]);
    const before = await changeCount(secret);
    const missing = await errorOf(await u2.patch(`${notes}/nothing`, { data: { x: 1 } }));
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
    // Hidden (u1's private n1) looks exactly like missing, If-Match included: no version leaks.
    const hidden = [
      await u2.patch(`${notes}/n1`, { data: { owner: "u2" } }),
      await u2.patch(`${notes}/n1`, { data: { owner: "u2" } }, { "If-Match": '"1"' }),
      await u2.patch(`${notes}/n1`, { data: { owner: "u2" } }, { "If-Match": '"9"' }),
      await u2.put(`${notes}/n1`, { data: { owner: "u2" } }),
      await u2.delete(`${notes}/n1`),
      await u2.delete(`${notes}/n1`, { "If-Match": '"9"' }),
    ];
    for (const response of hidden) {
      const error = await errorOf(response);
      expect(error).toMatchObject({ status: 404, code: "not_found" });
      expect(error.message).toBe(missing.message.replace("nothing", "n1"));
    }
    const inBatch = await errorOf(
      await u2.post("/v1/batch", { operations: [{ op: "delete", collection: "notes", id: "n1" }] }),
    );
    expect(inBatch).toMatchObject({ status: 404, code: "not_found", details: { index: 0, collection: "notes" } });
    // Readable but not u2's to change: the write rule's 403 stays.
    for (const response of [
      await u2.patch(`${notes}/shared1`, { data: { owner: "u2" } }),
      await u2.put(`${notes}/shared1`, { data: { owner: "u2" } }),
      await u2.delete(`${notes}/shared1`),
    ]) {
      expect(await errorOf(response)).toMatchObject({ status: 403, code: "forbidden" });
    }
    expect(await changeCount(secret)).toBe(before);
    await expectStatus(u1.patch(`${notes}/n1`, { data: { owner: "u1", seen: true } }), 200);
    // A write-only collection (no read rule) hides nothing: its write rules decide.
    await setRules(secret, "inbox", { create: "true", update: "true" });
    await seed(secret, "inbox", [{ id: "i1", data: { n: 1 } }]);
    await expectStatus(u2.patch("/v1/collections/inbox/documents/i1", { data: { n: 2 } }), 200);
  });

  it("checks create against the incoming data and update against both old and new data", async () => {
    const { u1, u2, publicKey, secret } = await ownedNotes();
    await expectStatus(u1.post(notes, { id: "new1", data: { owner: "u1" } }), 201);
    expect(await errorOf(await u1.post(notes, { data: { owner: "u2" } }))).toMatchObject({
      status: 403,
      code: "forbidden",
    });
    expect(await errorOf(await publicKey.post(notes, { data: { owner: null } }))).toMatchObject({ status: 403 });
    await expectStatus(u1.patch(`${notes}/n1`, { data: { text: "mine" } }), 200);
    // Giving a note away changes data.owner: refused. Taking someone's note: refused.
    expect(await errorOf(await u1.patch(`${notes}/n1`, { data: { owner: "u2" } }))).toMatchObject({ status: 403 });
    // u2 cannot read n1: to u2 it does not exist (see the test of hidden documents below).
    expect(await errorOf(await u2.patch(`${notes}/n1`, { data: { owner: "u2" } }))).toMatchObject({ status: 404 });
    expect(await errorOf(await u2.put(`${notes}/n1`, { data: { owner: "u2" } }))).toMatchObject({ status: 404 });
    // Deleting the owner field with an operator is an update like any other.
    expect(
      await errorOf(await u1.patch(`${notes}/n2`, { operators: { owner: { type: "delete_field" } } })),
    ).toMatchObject({
      status: 403,
    });
    // PUT on a missing id is a create, checked by the create rule.
    expect(await errorOf(await u2.put(`${notes}/fresh`, { data: { owner: "u1" } }))).toMatchObject({ status: 403 });
    await expectStatus(u2.put(`${notes}/fresh`, { data: { owner: "u2" } }), 201);
    expect(await errorOf(await u2.delete(`${notes}/n3`))).toMatchObject({ status: 404 });
    await expectStatus(u1.delete(`${notes}/n3`), 200);
    expect((await expectStatus<Doc>(secret.get(`${notes}/n1`), 200)).data).toEqual({ owner: "u1", n: 1, text: "mine" });
  });

  it("refuses a whole batch when one operation breaks a rule, writing nothing", async () => {
    const { u2, secret } = await ownedNotes();
    const before = await changeCount(secret);
    const mixed = [
      { op: "create", id: "ok", data: { owner: "u2" } },
      { op: "update", id: "m1", operators: { n: { type: "increment", value: 1 } } },
      { op: "update", id: "m2", data: { owner: "u1" } },
    ];
    expect(await errorOf(await u2.post("/v1/collections/notes/batch", { operations: mixed }))).toMatchObject({
      status: 403,
      details: { index: 2, collection: "notes", operation: "update", id: "m2" },
    });
    const cross = mixed.map((op) => ({ ...op, collection: "notes" }));
    expect(await errorOf(await u2.post("/v1/batch", { operations: cross }))).toMatchObject({ status: 403 });
    expect(await changeCount(secret)).toBe(before);
    expect(await errorOf(await secret.get(`${notes}/ok`))).toMatchObject({ status: 404 });
    expect((await expectStatus<Doc>(secret.get(`${notes}/m1`), 200)).data.n).toBe(100);
    const allowed = await expectStatus<{ results: unknown[] }>(
      u2.post("/v1/batch", { operations: cross.slice(0, 2) }),
      200,
    );
    expect(allowed.results).toHaveLength(2);
  });

  it("uses a separate list rule when set, and the read rule for lists otherwise", async () => {
    const { secret, u1 } = await ownedNotes();
    await setRules(secret, "notes", { ...OWNER_RULES, list: "doc.n > 5 && doc.owner == auth.id" });
    const page = await expectStatus<Page>(u1.get(`${notes}?total=true`), 200);
    expect(page.total).toBe(5);
    await expectStatus(u1.get(`${notes}/n1`), 200);
  });

  it("sees roles and claims through auth", async () => {
    const { project, secret } = await projectWithSecret();
    await setRules(secret, "teams", {
      read: 'auth.role == "admin" || doc.team == auth.claims.team',
      create: 'auth.role == "admin"',
    });
    await seed(secret, "teams", [
      { id: "r", data: { team: "red" } },
      { id: "b", data: { team: "blue" } },
    ]);
    const admin = as((await mintToken(project, { user_id: "a", role: "admin" })).token);
    const red = as((await mintToken(project, { user_id: "r1", claims: { team: "red" } })).token);
    expect((await expectStatus<Page>(admin.get("/v1/collections/teams/documents"), 200)).items).toHaveLength(2);
    expect((await expectStatus<Page>(red.get("/v1/collections/teams/documents"), 200)).items.map((d) => d.id)).toEqual([
      "r",
    ]);
    await expectStatus(admin.post("/v1/collections/teams/documents", { data: {} }), 201);
    expect((await red.post("/v1/collections/teams/documents", { data: {} })).status).toBe(403);
  });

  it("never lets a user of one project reach another project's collection of the same name", async () => {
    const a = await ownedNotes();
    const b = await projectWithSecret();
    await setRules(b.secret, "notes", { read: "true", create: "true", update: "true", delete: "true" });
    await seed(b.secret, "notes", [{ id: "n1", data: { owner: "u1", project: "b" } }]);
    // u1 of project A sees its own n1, not B's, even though B's rules are wide open.
    expect((await expectStatus<Doc>(a.u1.get(`${notes}/n1`), 200)).data).toEqual({ owner: "u1", n: 1 });
    expect((await expectStatus<Page>(as(b.project.keys.public).get(notes), 200)).items).toHaveLength(1);
    await expectStatus(as(b.project.keys.public).delete(`${notes}/n1`), 200);
    await expectStatus(a.u1.get(`${notes}/n1`), 200);
  });
});
