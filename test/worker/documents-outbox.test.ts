import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pruneChanges, shouldPrune } from "../../data/documents/outbox";
import app from "../../worker/index";
import { expectStatus, projectWithSecret, seed } from "./documents-helpers";
import { adminHeaders, api, errorOf } from "./helpers";

interface Change {
  seq: number;
  op: string;
  id: string;
  data: Record<string, unknown> | null;
  old_data: Record<string, unknown> | null;
  created_at: string;
}
interface ChangePage {
  items: Change[];
  next_cursor: string | null;
  last_seq: number;
}

/** Calls the worker with an execution context we can wait on, so waitUntil work is finished. */
async function callAndSettle(path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`https://flarebase.test${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("change feed", () => {
  it("records create, update and delete with new and old data, numbered from 1", async () => {
    const { secret } = await projectWithSecret();
    await expectStatus(secret.post("/v1/collections/feed/documents", { id: "a", data: { v: 1 } }), 201);
    await expectStatus(secret.patch("/v1/collections/feed/documents/a", { data: { v: 2 } }), 200);
    await expectStatus(secret.delete("/v1/collections/feed/documents/a"), 200);
    const page = await expectStatus<ChangePage>(secret.get("/v1/collections/feed/changes"), 200);
    expect(page.last_seq).toBe(3);
    expect(page.next_cursor).toBeNull();
    expect(page.items.map(({ created_at, ...rest }) => rest)).toEqual([
      { seq: 1, op: "create", id: "a", data: { v: 1 }, old_data: null },
      { seq: 2, op: "update", id: "a", data: { v: 2 }, old_data: { v: 1 } },
      { seq: 3, op: "delete", id: "a", data: null, old_data: { v: 2 } },
    ]);
    for (const change of page.items) expect(new Date(change.created_at).toISOString()).toBe(change.created_at);
  });

  it("pages with since and next_cursor, and keeps one sequence per collection", async () => {
    const { secret } = await projectWithSecret();
    await seed(
      secret,
      "one",
      Array.from({ length: 25 }, (_, i) => ({ id: `d${i}`, data: { i } })),
    );
    await seed(secret, "two", [{ data: {} }]);
    const first = await expectStatus<ChangePage>(secret.get("/v1/collections/one/changes?since=0&limit=10"), 200);
    expect(first.items.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.next_cursor).toBe("10");
    const rest = await expectStatus<ChangePage>(
      secret.get(`/v1/collections/one/changes?since=${first.next_cursor}&limit=100`),
      200,
    );
    expect(rest.items.map((c) => c.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 11));
    expect((await expectStatus<ChangePage>(secret.get("/v1/collections/two/changes"), 200)).last_seq).toBe(1);
    expect(await expectStatus(secret.get("/v1/collections/one/changes?since=999"), 200)).toEqual({
      items: [],
      next_cursor: null,
      last_seq: 25,
    });
    expect(await errorOf(await secret.get("/v1/collections/one/changes?since=-1"))).toMatchObject({ status: 400 });
    expect(await errorOf(await secret.get("/v1/collections/one/changes?limit=5000"))).toMatchObject({ status: 400 });
  });

  it("is per project: the same collection name in another project has its own feed", async () => {
    const a = await projectWithSecret();
    const b = await projectWithSecret();
    await seed(a.secret, "shared", [{ id: "x", data: { from: "a" } }]);
    const other = await expectStatus<ChangePage>(b.secret.get("/v1/collections/shared/changes"), 200);
    expect(other).toEqual({ items: [], next_cursor: null, last_seq: 0 });
  });
});

describe("retention", () => {
  it("prunes beyond the configured bound without breaking the sequence, and says so to late readers", async () => {
    const { project, secret } = await projectWithSecret();
    const retention = await expectStatus(secret.put("/v1/collections/logs/retention", { max_changes: 100 }), 200);
    expect(retention).toEqual({ collection: "logs", max_changes: 100, max_age_seconds: 7 * 24 * 3600 });
    await seed(
      secret,
      "logs",
      Array.from({ length: 250 }, (_, i) => ({ data: { i } })),
    );
    await pruneChanges(env.DB, project.id, "logs");
    const kept = await env.DB.prepare(
      "SELECT min(seq) AS lo, max(seq) AS hi, count(*) AS n FROM outbox WHERE project_id = ? AND collection = 'logs'",
    )
      .bind(project.id)
      .first<{ lo: number; hi: number; n: number }>();
    expect(kept).toEqual({ lo: 151, hi: 250, n: 100 });
    const late = await errorOf(await secret.get("/v1/collections/logs/changes?since=10"));
    expect(late).toMatchObject({
      status: 410,
      code: "changes_pruned",
      details: { oldest_available_seq: 151, last_seq: 250 },
    });
    // Reading from exactly the pruning point is fine: nothing after it is missing.
    const fromEdge = await expectStatus<ChangePage>(secret.get("/v1/collections/logs/changes?since=150&limit=1"), 200);
    expect(fromEdge.items[0]?.seq).toBe(151);
    // Numbering goes on after pruning.
    await expectStatus(secret.post("/v1/collections/logs/documents", { data: {} }), 201);
    expect(
      (await expectStatus<ChangePage>(secret.get("/v1/collections/logs/changes?since=250"), 200)).items[0]?.seq,
    ).toBe(251);
  });

  it("prunes by age too", async () => {
    const { project, secret } = await projectWithSecret();
    await expectStatus(secret.put("/v1/collections/old/retention", { max_changes: 1000, max_age_seconds: 60 }), 200);
    await seed(
      secret,
      "old",
      Array.from({ length: 5 }, () => ({ data: {} })),
    );
    await pruneChanges(env.DB, project.id, "old", Date.now() + 61_000);
    expect(await errorOf(await secret.get("/v1/collections/old/changes"))).toMatchObject({ status: 410 });
    expect((await expectStatus<ChangePage>(secret.get("/v1/collections/old/changes?since=5"), 200)).last_seq).toBe(5);
  });

  it("runs pruning after a write that crosses a pruning point", async () => {
    expect(shouldPrune(100, 1)).toBe(true);
    expect(shouldPrune(99, 1)).toBe(false);
    expect(shouldPrune(150, 60)).toBe(true);
    expect(shouldPrune(199, 99)).toBe(false);
    const { project, secret } = await projectWithSecret();
    await expectStatus(secret.put("/v1/collections/auto/retention", { max_changes: 100 }), 200);
    await seed(
      secret,
      "auto",
      Array.from({ length: 199 }, () => ({ data: {} })),
    );
    const response = await callAndSettle("/v1/collections/auto/documents", {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret, "Content-Type": "application/json" },
      body: JSON.stringify({ data: {} }),
    });
    expect(response.status).toBe(201);
    const count = await env.DB.prepare(
      "SELECT count(*) AS n, min(seq) AS lo FROM outbox WHERE project_id = ? AND collection = 'auto'",
    )
      .bind(project.id)
      .first<{ n: number; lo: number }>();
    expect(count).toEqual({ n: 100, lo: 101 });
  });

  it("validates retention settings", async () => {
    const { secret } = await projectWithSecret();
    expect(await errorOf(await secret.put("/v1/collections/x/retention", { max_changes: 5 }))).toMatchObject({
      status: 400,
    });
    expect(await errorOf(await secret.put("/v1/collections/x/retention", { max_age_seconds: 1 }))).toMatchObject({
      status: 400,
    });
  });
});

describe("deleting a project", () => {
  it("deletes its documents, outbox, sequences, settings and index registry", async () => {
    const { project, secret } = await projectWithSecret();
    await seed(
      secret,
      "things",
      Array.from({ length: 30 }, (_, i) => ({ data: { i } })),
    );
    await expectStatus(secret.put("/v1/collections/things/rules", { read: "true" }), 200);
    await expectStatus(secret.post("/v1/collections/things/indexes", { fields: ["i"] }), 201);
    expect(
      (await api(`/v1/admin/projects/${project.id}`, { method: "DELETE", headers: adminHeaders })).status,
    ).toBeLessThan(300);
    for (const table of ["documents", "outbox", "collection_sequences", "collection_settings", "document_indexes"]) {
      const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE project_id = ?`)
        .bind(project.id)
        .first<{ n: number }>();
      expect(row?.n, table).toBe(0);
    }
  });
});
