import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Doc, expectStatus, projectWithSecret, seed } from "./documents-helpers";
import { errorOf } from "./helpers";

type BatchResult = {
  op: string;
  collection: string;
  id: string;
  version: number;
  data?: Record<string, unknown>;
  deleted?: true;
};

const outboxRows = async (projectId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM outbox WHERE project_id = ?").bind(projectId).first<{ n: number }>())
    ?.n;

describe("batches", () => {
  it("creates, updates, replaces and deletes in one collection atomically, one result per operation", async () => {
    const { secret } = await projectWithSecret();
    await seed(secret, "items", [
      { id: "u", data: { n: 1 } },
      { id: "r", data: { old: true } },
      { id: "d", data: {} },
    ]);
    const body = await expectStatus<{ results: BatchResult[] }>(
      secret.post("/v1/collections/items/batch", {
        operations: [
          { op: "create", data: { fresh: 1 } },
          { op: "update", id: "u", data: { m: 2 }, operators: { n: { type: "increment", value: 10 } } },
          { op: "replace", id: "r", data: { new: true }, if_match: 1 },
          { op: "delete", id: "d" },
        ],
      }),
      200,
    );
    expect(body.results.map((r) => r.op)).toEqual(["create", "update", "update", "delete"]);
    expect(body.results[1]).toMatchObject({ collection: "items", id: "u", data: { n: 11, m: 2 }, version: 2 });
    expect(body.results[2]).toMatchObject({ id: "r", data: { new: true }, version: 2 });
    expect(body.results[3]).toEqual({ op: "delete", collection: "items", id: "d", deleted: true, version: 1 });
    const changes = await expectStatus<{ items: { op: string; id: string }[] }>(
      secret.get("/v1/collections/items/changes?since=3"),
      200,
    );
    expect(changes.items.map((c) => `${c.op}:${c.id}`)).toEqual([
      `create:${body.results[0]?.id}`,
      "update:u",
      "update:r",
      "delete:d",
    ]);
  });

  it("writes across collections with field operators in one transaction", async () => {
    const { secret } = await projectWithSecret();
    await seed(secret, "inventory", [{ id: "item-a", data: { qty: 5, tags: ["new"] } }]);
    const body = await expectStatus<{ results: BatchResult[] }>(
      secret.post("/v1/batch", {
        operations: [
          {
            op: "create",
            collection: "orders",
            data: { product: "A", qty: 1 },
            operators: { at: { type: "server_timestamp" } },
          },
          {
            op: "update",
            collection: "inventory",
            id: "item-a",
            operators: {
              qty: { type: "increment", value: -1 },
              tags: { type: "array_remove", values: ["new"] },
              sold: { type: "array_append", values: ["A"] },
            },
          },
          {
            op: "replace",
            collection: "stats",
            id: "daily",
            data: { orders: 0 },
            operators: { orders: { type: "increment", value: 1 }, last: { type: "server_timestamp" } },
          },
        ],
      }),
      200,
    );
    expect(body.results.map((r) => [r.collection, r.op])).toEqual([
      ["orders", "create"],
      ["inventory", "update"],
      ["stats", "create"],
    ]);
    expect(body.results[1]?.data).toEqual({ qty: 4, tags: [], sold: ["A"] });
    const stats = await expectStatus<Doc>(secret.get("/v1/collections/stats/documents/daily"), 200);
    expect(stats.data).toEqual({ orders: 1, last: stats.updated_at });
    expect(body.results[0]?.data?.at).toBe(stats.updated_at);
  });

  it("writes nothing when any operation fails, whatever its position", async () => {
    const { project, secret } = await projectWithSecret();
    await seed(secret, "items", [{ id: "a", data: { n: 1 } }]);
    const before = await outboxRows(project.id);
    const failing: [unknown[], number, string][] = [
      [
        [
          { op: "create", collection: "items", data: {} },
          { op: "update", collection: "items", id: "missing", data: {} },
        ],
        404,
        "not_found",
      ],
      [
        [
          { op: "update", collection: "items", id: "a", data: { n: 2 } },
          { op: "create", collection: "items", id: "a", data: {} },
        ],
        400,
        "invalid_request",
      ],
      [
        [
          { op: "create", collection: "other", id: "a", data: {} },
          { op: "create", collection: "items", id: "a", data: {} },
        ],
        409,
        "conflict",
      ],
      [
        [
          { op: "create", collection: "other", data: {} },
          { op: "delete", collection: "items", id: "a", if_match: 9 },
        ],
        409,
        "conflict",
      ],
      [
        [
          { op: "create", collection: "other", data: {} },
          { op: "update", collection: "items", id: "a", operators: { n: { type: "array_append", values: [1] } } },
        ],
        400,
        "invalid_request",
      ],
      [[{ op: "create", collection: "other", data: { big: "x".repeat(300_000) } }], 413, "payload_too_large"],
    ];
    for (const [operations, status, code] of failing) {
      expect(
        await errorOf(await secret.post("/v1/batch", { operations })),
        JSON.stringify(operations).slice(0, 200),
      ).toMatchObject({ status, code });
    }
    expect(await outboxRows(project.id)).toBe(before);
    expect((await expectStatus<Doc>(secret.get("/v1/collections/items/documents/a"), 200)).data).toEqual({ n: 1 });
    expect(await expectStatus(secret.get("/v1/collections/other/count"), 200)).toEqual({ count: 0 });
  });

  it("names the failing operation in every error: details.index and details.collection", async () => {
    const { project, secret } = await projectWithSecret();
    await seed(secret, "items", [{ id: "a", data: { n: 1, name: "x" } }]);
    const uniqueIndex = { fields: ["sku"], unique: true };
    await expectStatus(secret.post("/v1/collections/skus/indexes", uniqueIndex), 201);
    await seed(secret, "skus", [{ id: "s1", data: { sku: "A-1" } }]);
    const before = await outboxRows(project.id);
    const cases: [unknown[], number, string, number, string][] = [
      // a field operator on the wrong type
      [
        [
          { op: "create", collection: "other", data: {} },
          { op: "update", collection: "items", id: "a", operators: { name: { type: "increment", value: 1 } } },
        ],
        400,
        "invalid_request",
        1,
        "items",
      ],
      // a document over the size limit
      [
        [
          { op: "create", collection: "other", data: {} },
          { op: "create", collection: "other", data: {} },
          { op: "create", collection: "big", data: { big: "x".repeat(300_000) } },
        ],
        413,
        "payload_too_large",
        2,
        "big",
      ],
      // a missing document, an If-Match mismatch, a taken id
      [
        [
          { op: "create", collection: "other", data: {} },
          { op: "delete", collection: "items", id: "missing" },
        ],
        404,
        "not_found",
        1,
        "items",
      ],
      [[{ op: "update", collection: "items", id: "a", data: {}, if_match: 7 }], 409, "conflict", 0, "items"],
      [
        [
          { op: "create", collection: "other", data: {} },
          { op: "create", collection: "items", id: "a", data: {} },
        ],
        409,
        "conflict",
        1,
        "items",
      ],
      // a unique index, against a stored document and against an earlier operation
      [
        [
          { op: "create", collection: "skus", data: { sku: "B-1" } },
          { op: "create", collection: "other", data: {} },
          { op: "create", collection: "skus", data: { sku: "A-1" } },
        ],
        409,
        "conflict",
        2,
        "skus",
      ],
      [
        [
          { op: "create", collection: "skus", data: { sku: "C-1" } },
          { op: "create", collection: "other", data: {} },
          { op: "create", collection: "other", data: {} },
          { op: "create", collection: "skus", data: { sku: "C-1" } },
          { op: "create", collection: "other", data: {} },
        ],
        409,
        "conflict",
        3,
        "skus",
      ],
      // an operation that does not validate
      [
        [
          { op: "create", collection: "other", data: {} },
          { op: "update", collection: "items", id: "a" },
        ],
        400,
        "invalid_request",
        1,
        "items",
      ],
      // a document written twice
      [
        [
          { op: "update", collection: "items", id: "a", data: {} },
          { op: "delete", collection: "items", id: "a" },
        ],
        400,
        "invalid_request",
        1,
        "items",
      ],
    ];
    for (const [operations, status, code, index, collection] of cases) {
      const error = await errorOf(await secret.post("/v1/batch", { operations }));
      expect(error, JSON.stringify(operations).slice(0, 200)).toMatchObject({ status, code });
      expect(error.details, error.message).toMatchObject({ index, collection });
      if (collection === "skus") expect(error.details).toMatchObject({ index_name: "sku" });
      expect(error.message).toMatch(new RegExp(`^Operation ${index}: `));
    }
    // The per-collection batch labels its errors the same way.
    const local = await errorOf(
      await secret.post("/v1/collections/items/batch", {
        operations: [
          { op: "create", data: {} },
          { op: "create", data: {} },
          { op: "update", id: "a", operators: { name: { type: "array_append", values: [1] } } },
        ],
      }),
    );
    expect(local).toMatchObject({ status: 400, code: "invalid_request" });
    expect(local.details).toMatchObject({ index: 2, collection: "items", path: "name", operator: "array_append" });
    const invalid = await errorOf(
      await secret.post("/v1/collections/items/batch", { operations: [{ op: "create", data: {} }, { op: "nope" }] }),
    );
    expect(invalid.details).toMatchObject({ index: 1, collection: "items", issues: [{ path: "operations.1.op" }] });
    // Nothing of any failed batch was written.
    expect(await outboxRows(project.id)).toBe(before);
    expect((await expectStatus<Doc>(secret.get("/v1/collections/items/documents/a"), 200)).data).toEqual({
      n: 1,
      name: "x",
    });
  });

  it("keeps single-document errors without a batch index", async () => {
    const { secret } = await projectWithSecret();
    await seed(secret, "items", [{ id: "a", data: { name: "x" } }]);
    const error = await errorOf(
      await secret.patch("/v1/collections/items/documents/a", { operators: { name: { type: "increment", value: 1 } } }),
    );
    expect(error).toMatchObject({ status: 400, code: "invalid_request", details: { path: "name" } });
    expect(error.details).not.toHaveProperty("index");
  });

  it("limits batches to 100 operations and needs at least one", async () => {
    const { secret } = await projectWithSecret();
    const ops = (n: number) => Array.from({ length: n }, () => ({ op: "create", data: {} }));
    expect(await errorOf(await secret.post("/v1/collections/items/batch", { operations: ops(101) }))).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    expect(await errorOf(await secret.post("/v1/collections/items/batch", { operations: [] }))).toMatchObject({
      status: 400,
    });
    const full = await expectStatus<{ results: unknown[] }>(
      secret.post("/v1/collections/items/batch", { operations: ops(100) }),
      200,
    );
    expect(full.results).toHaveLength(100);
    expect(await errorOf(await secret.post("/v1/batch", { operations: [{ op: "create", data: {} }] }))).toMatchObject({
      status: 400,
    });
    expect(
      await errorOf(await secret.post("/v1/batch", { operations: [{ op: "upsert", collection: "x", id: "a" }] })),
    ).toMatchObject({
      status: 400,
    });
  });
});
