import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bytes, credentials, download, objectPath, rowKey, storageProject, storedKeys, upload } from "./files-helpers";
import { api } from "./helpers";

const ROUNDS = 40;
const DELETE_DELAYS_MS = [0, 2, 5, 10, 20, 40, 80, 160];

/**
 * After every race the path is consistent: either no row and no bytes, or a row naming the only
 * bytes R2 holds for the path, which a download returns whole.
 */
async function expectConsistent(projectId: string, secret: string, path: string, round: number) {
  const key = await rowKey(projectId, "files", path);
  const keys = await storedKeys(projectId, "files", path);
  if (key === null) {
    expect(keys, `round ${round}: bytes without a row`).toEqual([]);
    expect((await download(secret, "files", path)).status).toBe(404);
    return;
  }
  expect(keys, `round ${round}: the row's bytes, and only those`).toEqual([key]);
  const object = await env.BUCKET.head(key);
  const got = await download(secret, "files", path);
  expect(got.status, `round ${round}: a listed file downloads`).toBe(200);
  expect((await got.arrayBuffer()).byteLength).toBe(object?.size);
  expect(got.headers.get("ETag")).toBe(`"${object?.etag}"`);
}

describe("files: deletes racing uploads of the same path", () => {
  it(`never leave a row without bytes or bytes without a row (${ROUNDS} rounds)`, { timeout: 120_000 }, async () => {
    const { project, secret } = await storageProject();
    const remove = (path: string) => api(objectPath("files", path), { method: "DELETE", headers: credentials(secret) });
    const outcomes = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const path = `race/${round % 4}.bin`;
      if (round % 2 === 0) await upload(secret, "files", path, bytes(64, round));
      // Two replaces and a delete, the delete started later and later across rounds so that it
      // lands before, between and after the uploads' commits.
      const delay = DELETE_DELAYS_MS[round % DELETE_DELAYS_MS.length] as number;
      const statuses = await Promise.all([
        upload(secret, "files", path, bytes(1 + round * 37, round)).then((response) => response.status),
        upload(secret, "files", path, bytes(5000 + round, round + 1)).then((response) => response.status),
        new Promise((resolve) => setTimeout(resolve, delay)).then(async () => (await remove(path)).status),
      ]);
      for (const status of statuses) expect([200, 201, 404]).toContain(status);
      await expectConsistent(project.id, secret, path, round);
      outcomes.add((await rowKey(project.id, "files", path)) === null ? "deleted" : "kept");
    }
    // The race went both ways at least once, or the test proved nothing about one of them.
    expect(outcomes).toEqual(new Set(["deleted", "kept"]));
  });
});
