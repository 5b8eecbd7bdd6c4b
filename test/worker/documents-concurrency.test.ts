import { describe, expect, it } from "vitest";
import { type Doc, expectStatus, projectWithSecret, seed } from "./documents-helpers";

interface Change {
  seq: number;
  op: string;
  id: string;
  data: Record<string, number> | null;
  old_data: Record<string, number> | null;
}

async function allChanges(secret: Awaited<ReturnType<typeof projectWithSecret>>["secret"], collection: string) {
  return (await expectStatus<{ items: Change[] }>(secret.get(`/v1/collections/${collection}/changes?limit=1000`), 200))
    .items;
}

describe("concurrent writers", () => {
  it("never lose an increment: each concurrent PATCH re-reads on conflict", async () => {
    const { secret } = await projectWithSecret();
    await expectStatus(secret.post("/v1/collections/counters/documents", { id: "c", data: { n: 0 } }), 201);
    const writers = 20;
    const responses = await Promise.all(
      Array.from({ length: writers }, () =>
        secret.patch("/v1/collections/counters/documents/c", { operators: { n: { type: "increment", value: 1 } } }),
      ),
    );
    const docs = await Promise.all(responses.map((r) => expectStatus<Doc<{ n: number }>>(r, 200)));
    // Every writer got its own version, and saw its own increment applied on the one before.
    expect(docs.map((d) => d.version).sort((a, b) => a - b)).toEqual(Array.from({ length: writers }, (_, i) => i + 2));
    for (const doc of docs) expect(doc.data.n).toBe(doc.version - 1);
    const final = await expectStatus<Doc<{ n: number }>>(secret.get("/v1/collections/counters/documents/c"), 200);
    expect(final).toMatchObject({ version: writers + 1, data: { n: writers } });
    // The outbox holds every write once, gap-free, in commit order.
    const changes = await allChanges(secret, "counters");
    expect(changes.map((c) => c.seq)).toEqual(Array.from({ length: writers + 1 }, (_, i) => i + 1));
    for (const change of changes.slice(1)) expect(change.data?.n).toBe((change.old_data?.n ?? -1) + 1);
  });

  it("let exactly one of several writers holding the same If-Match version win", async () => {
    const { secret } = await projectWithSecret();
    await expectStatus(secret.post("/v1/collections/race/documents", { id: "r", data: { owner: null } }), 201);
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        secret.patch("/v1/collections/race/documents/r", { data: { owner: `w${i}` } }, { "If-Match": "1" }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const winner = await (responses.find((r) => r.status === 200) as Response).json<Doc>();
    expect(await expectStatus<Doc>(secret.get("/v1/collections/race/documents/r"), 200)).toMatchObject({
      version: 2,
      data: winner.data,
    });
    expect((await allChanges(secret, "race")).map((c) => c.seq)).toEqual([1, 2]);
  });

  it("keep each collection's sequence gap-free and in commit order under mixed concurrent traffic", async () => {
    const { secret } = await projectWithSecret();
    await seed(
      secret,
      "mixed",
      Array.from({ length: 10 }, (_, i) => ({ id: `d${i}`, data: { n: 0 } })),
    );
    const tasks: Promise<Response>[] = [];
    for (let i = 0; i < 10; i++) {
      tasks.push(
        secret.patch(`/v1/collections/mixed/documents/d${i}`, { operators: { n: { type: "increment", value: 1 } } }),
      );
      tasks.push(
        secret.patch(`/v1/collections/mixed/documents/d${(i + 3) % 10}`, {
          operators: { n: { type: "increment", value: 1 } },
        }),
      );
      tasks.push(secret.post("/v1/collections/mixed/documents", { data: { n: 100 + i } }));
      tasks.push(
        secret.post("/v1/batch", {
          operations: [
            {
              op: "update",
              collection: "mixed",
              id: `d${(i + 5) % 10}`,
              operators: { n: { type: "increment", value: 1 } },
            },
            { op: "create", collection: "side", data: { i } },
          ],
        }),
      );
    }
    const statuses = (await Promise.all(tasks)).map((r) => r.status);
    expect(statuses.filter((s) => s >= 300)).toEqual([]);
    const changes = await allChanges(secret, "mixed");
    const expectedCount = 10 + 10 + 10 + 10 + 10;
    expect(changes.map((c) => c.seq)).toEqual(Array.from({ length: expectedCount }, (_, i) => i + 1));
    // Commit order: for every document, each change starts from the state the previous one left.
    const last = new Map<string, number>();
    for (const change of changes) {
      if (change.op === "create") last.set(change.id, change.data?.n ?? 0);
      else {
        expect(change.old_data?.n, `seq ${change.seq}`).toBe(last.get(change.id));
        last.set(change.id, change.data?.n ?? 0);
      }
    }
    for (let i = 0; i < 10; i++) expect(last.get(`d${i}`)).toBe(3);
    expect((await allChanges(secret, "side")).map((c) => c.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });
});
