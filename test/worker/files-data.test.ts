import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkFilePath } from "../../core/files/path";
import { ANONYMOUS, TRUE } from "../../core/query";
import { FileAccess } from "../../data/files/access";
import { createBucket, DEFAULT_BUCKET_SETTINGS, getBucket } from "../../data/files/buckets";
import { commitFile, deleteFileRows } from "../../data/files/files";
import { listFiles } from "../../data/files/list-files";
import { newObjectKey, objectKey } from "../../data/files/object-key";
import { getStorageUsage } from "../../data/files/usage";

async function project(): Promise<string> {
  const id = `p${crypto.randomUUID().replaceAll("-", "").slice(0, 15)}`;
  await env.DB.prepare("INSERT INTO projects (id, name, created_at) VALUES (?, 'files', ?)")
    .bind(id, new Date().toISOString())
    .run();
  return id;
}

describe("files data layer", () => {
  it("commits, lists and counts usage", async () => {
    const projectId = await project();
    await createBucket(env.DB, projectId, "docs", DEFAULT_BUCKET_SETTINGS);
    const write = { projectId, bucket: "docs", contentType: "text/plain", etag: "e", metadata: {}, uploadedBy: null };
    const commit = (path: string, size: number) =>
      commitFile(env.DB, env.BUCKET, {
        ...write,
        path,
        size,
        objectKey: newObjectKey(projectId, "docs", path),
        objectUploaded: new Date(),
      });
    const first = await commit("a/b.txt", 3);
    const again = await commit("a/b.txt", 5);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, file: { id: first.file.id } });
    await commit("a/c/d.txt", 1);
    await commit("top.txt", 1);
    expect(await getStorageUsage(env.DB, projectId)).toMatchObject({ used_bytes: 7, file_count: 3 });
    const base = { projectId, bucket: "docs", cursor: null, limit: 10, condition: TRUE, auth: ANONYMOUS };
    const flat = await listFiles(env.DB, { ...base, prefix: "", delimiter: null });
    expect(flat.items.map((f) => f.path)).toEqual(["a/b.txt", "a/c/d.txt", "top.txt"]);
    const root = await listFiles(env.DB, { ...base, prefix: "", delimiter: "/" });
    expect(root.folders).toEqual([{ prefix: "a/" }]);
    expect(root.items.map((f) => f.path)).toEqual(["top.txt"]);
    const inA = await listFiles(env.DB, { ...base, prefix: "a/", delimiter: "/" });
    expect(inA.folders).toEqual([{ prefix: "a/c/" }]);
    expect(inA.items.map((f) => f.path)).toEqual(["a/b.txt"]);
    const page = await listFiles(env.DB, { ...base, limit: 1, prefix: "", delimiter: "/" });
    expect(page.folders).toEqual([{ prefix: "a/" }]);
    const next = await listFiles(env.DB, { ...base, limit: 1, prefix: "", delimiter: "/", cursor: page.next_cursor });
    expect(next.items.map((f) => f.path)).toEqual(["top.txt"]);
    expect(next.next_cursor).toBeNull();
    await deleteFileRows(env.DB, projectId, "docs", ["a/b.txt", "missing"]);
    expect(await getStorageUsage(env.DB, projectId)).toMatchObject({ used_bytes: 2, file_count: 2 });
    const bucket = await getBucket(env.DB, projectId, "docs");
    expect(bucket && new FileAccess(bucket, null).readsOpen).toBe(false);
  });

  it("each upload has its own key, which no path's key can equal", () => {
    expect(objectKey("p1", "b", "x/y.txt", "u1")).toBe("files/p1/b/x/y.txt//u1");
    expect(newObjectKey("p1", "b", "x")).not.toBe(newObjectKey("p1", "b", "x"));
    expect(checkFilePath("x//u1")).toMatchObject({ ok: false, reason: "empty_segment" });
    expect(checkFilePath("a/%2e%2e/b")).toMatchObject({ ok: false, reason: "dot_segment" });
  });

  it("a commit of older bytes never replaces the row of newer ones (racing uploads)", async () => {
    const projectId = await project();
    await createBucket(env.DB, projectId, "docs", DEFAULT_BUCKET_SETTINGS);
    const write = {
      projectId,
      bucket: "docs",
      path: "r.txt",
      contentType: "text/plain",
      metadata: {},
      uploadedBy: null,
    };
    const commit = async (size: number, etag: string, uploaded: number) => {
      const key = newObjectKey(projectId, "docs", "r.txt");
      await env.BUCKET.put(key, "x".repeat(size));
      return {
        key,
        ...(await commitFile(env.DB, env.BUCKET, {
          ...write,
          size,
          etag,
          objectKey: key,
          objectUploaded: new Date(uploaded),
        })),
      };
    };
    const newer = await commit(2, "newer", 2_000);
    const older = await commit(1, "older", 1_000);
    expect(older.file).toMatchObject({ etag: "newer", size: 2, id: newer.file.id });
    // The losing commit's bytes are gone at once; the winner's stay.
    expect(await env.BUCKET.head(older.key)).toBeNull();
    expect(await env.BUCKET.head(newer.key)).not.toBeNull();
    expect(await getStorageUsage(env.DB, projectId)).toMatchObject({ used_bytes: 2, file_count: 1 });
  });
});
