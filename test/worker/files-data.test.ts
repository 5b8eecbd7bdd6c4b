import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkFilePath } from "../../core/files/path";
import { ANONYMOUS, TRUE } from "../../core/query";
import { FileAccess } from "../../data/files/access";
import { createBucket, DEFAULT_BUCKET_SETTINGS, getBucket } from "../../data/files/buckets";
import { commitFile, deleteFileRows } from "../../data/files/files";
import { listFiles } from "../../data/files/list-files";
import { objectKey, parseObjectKey } from "../../data/files/object-key";
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
    const first = await commitFile(env.DB, { ...write, path: "a/b.txt", size: 3 });
    const again = await commitFile(env.DB, { ...write, path: "a/b.txt", size: 5 });
    expect(again.id).toBe(first.id);
    await commitFile(env.DB, { ...write, path: "a/c/d.txt", size: 1 });
    await commitFile(env.DB, { ...write, path: "top.txt", size: 1 });
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

  it("keys parse back", () => {
    expect(parseObjectKey(objectKey("p1", "b", "x/y.txt"))).toEqual({ projectId: "p1", bucket: "b", path: "x/y.txt" });
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
    const newer = await commitFile(env.DB, { ...write, size: 2, etag: "newer", objectUploaded: new Date(2_000) });
    const older = await commitFile(env.DB, { ...write, size: 1, etag: "older", objectUploaded: new Date(1_000) });
    expect(older).toMatchObject({ etag: "newer", size: 2, id: newer.id });
    expect(await getStorageUsage(env.DB, projectId)).toMatchObject({ used_bytes: 2, file_count: 1 });
  });
});
