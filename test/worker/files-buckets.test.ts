import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { BucketRecord } from "../../core/files/wire";
import { objectKey } from "../../data/files/object-key";
import { ORPHAN_GRACE_MS, sweepOrphanObjects } from "../../data/files/sweep";
import { sweepStorage } from "../../worker/routes/storage-sweep";
import { credentials, rowKey, storageProject, storedKeys, upload } from "./files-helpers";
import { adminHeaders, api, createProject, errorOf } from "./helpers";

describe("buckets", () => {
  it("create, list, get, patch and delete with the secret key", async () => {
    const project = await createProject();
    const key = credentials(project.keys.secret);
    const created = await api("/v1/storage/buckets", {
      method: "POST",
      headers: key,
      json: {
        name: "avatars",
        public: true,
        max_file_bytes: 1_000_000,
        allowed_content_types: ["image/*"],
        cache_control: "public, max-age=86400",
        rules: { create: 'file.path startswith "users/" + auth.id + "/"' },
      },
    });
    expect(created.status).toBe(201);
    const bucket = (await created.json()) as BucketRecord;
    expect(bucket).toMatchObject({
      name: "avatars",
      public: true,
      max_file_bytes: 1_000_000,
      allowed_content_types: ["image/*"],
      rules: { create: 'file.path startswith "users/" + auth.id + "/"' },
    });
    const dup = await api("/v1/storage/buckets", { method: "POST", headers: key, json: { name: "avatars" } });
    expect(await errorOf(dup)).toMatchObject({ status: 409, code: "conflict" });
    const list = (await (await api("/v1/storage/buckets", { headers: key })).json()) as { items: BucketRecord[] };
    expect(list.items.map((b) => b.name)).toEqual(["avatars"]);
    const patched = await api("/v1/storage/buckets/avatars", {
      method: "PATCH",
      headers: key,
      json: { public: false, max_file_bytes: null },
    });
    expect(await patched.json()).toMatchObject({
      public: false,
      max_file_bytes: null,
      allowed_content_types: ["image/*"],
    });
    const got = await api("/v1/storage/buckets/avatars", { headers: key });
    expect(await got.json()).toMatchObject({ public: false });
    const deleted = await api("/v1/storage/buckets/avatars", { method: "DELETE", headers: key });
    expect(await deleted.json()).toEqual({ name: "avatars", deleted: true });
    expect((await api("/v1/storage/buckets/avatars", { headers: key })).status).toBe(404);
  });

  it("refuses bad names and settings, and public keys", async () => {
    const project = await createProject();
    const key = credentials(project.keys.secret);
    for (const body of [
      { name: "Upper" },
      { name: "a/b" },
      { name: "" },
      { name: "ok", allowed_content_types: ["nonsense"] },
      { name: "ok", unknown: 1 },
    ]) {
      const response = await api("/v1/storage/buckets", { method: "POST", headers: key, json: body });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    const asPublic = await api("/v1/storage/buckets", { headers: credentials(project.keys.public) });
    expect(await errorOf(asPublic)).toMatchObject({ status: 403, code: "forbidden" });
  });

  it("a bucket holding files is deleted only with force, and its bytes go too", async () => {
    const { project, secret } = await storageProject();
    await upload(secret, "files", "a.txt", "a");
    const refused = await api("/v1/storage/buckets/files", { method: "DELETE", headers: credentials(secret) });
    expect(await errorOf(refused)).toMatchObject({ status: 409, code: "conflict" });
    const forced = await api("/v1/storage/buckets/files?force=true", {
      method: "DELETE",
      headers: credentials(secret),
    });
    expect(forced.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the bytes go after the answer
    expect(await storedKeys(project.id, "files", "a.txt")).toEqual([]);
    const usage = await (await api("/v1/storage/usage", { headers: credentials(secret) })).json();
    expect(usage).toMatchObject({ used_bytes: 0, file_count: 0 });
  });

  it("the admin API manages any project's buckets and storage quota", async () => {
    const project = await createProject();
    const base = `/v1/admin/projects/${project.id}`;
    const created = await api(`${base}/buckets`, { method: "POST", headers: adminHeaders, json: { name: "media" } });
    expect(created.status).toBe(201);
    expect(
      ((await (await api(`${base}/buckets`, { headers: adminHeaders })).json()) as { items: unknown[] }).items,
    ).toHaveLength(1);
    expect(
      (await api(`${base}/buckets/media`, { method: "PATCH", headers: adminHeaders, json: { public: true } })).status,
    ).toBe(200);
    const own = await api("/v1/storage/buckets/media", { headers: credentials(project.keys.secret) });
    expect(await own.json()).toMatchObject({ public: true });
    expect(await (await api(`${base}/storage`, { headers: adminHeaders })).json()).toEqual({
      used_bytes: 0,
      file_count: 0,
      quota_bytes: null,
    });
    expect((await api(`${base}/buckets`, { headers: credentials(project.keys.secret) })).status).toBe(401);
    expect((await api("/v1/admin/projects/pnosuchproject00/buckets", { headers: adminHeaders })).status).toBe(404);
    expect((await api(`${base}/buckets/media`, { method: "DELETE", headers: adminHeaders })).status).toBe(200);
  });
});

describe("orphan sweep", () => {
  it("removes old bytes no row names, keeps files and young uploads", async () => {
    const { project, secret } = await storageProject();
    await upload(secret, "files", "kept.txt", "kept");
    // Bytes whose row never got written (a commit that failed) and bytes of a deleted project.
    const orphan = objectKey(project.id, "files", "orphan.txt", "failedcommit");
    const gone = objectKey("pgoneproject0000", "files", "x", "deletedproject");
    const kept = (await rowKey(project.id, "files", "kept.txt")) as string;
    await env.BUCKET.put(orphan, "orphan");
    await env.BUCKET.put(gone, "gone");
    const young = await sweepOrphanObjects(env.DB, env.BUCKET, { limit: 1000 });
    expect(young.deleted).not.toContain(orphan);
    const later = Date.now() + ORPHAN_GRACE_MS + 1000;
    let cursor: string | null = null;
    const deleted: string[] = [];
    do {
      const page = await sweepOrphanObjects(env.DB, env.BUCKET, { cursor, limit: 2, now: later });
      deleted.push(...page.deleted);
      cursor = page.cursor;
    } while (cursor);
    expect(deleted).toContain(orphan);
    expect(deleted).toContain(gone);
    expect(deleted).not.toContain(kept);
    expect(await env.BUCKET.head(orphan)).toBeNull();
    expect(await env.BUCKET.head(kept)).not.toBeNull();
  });

  it("the scheduled handler runs the sweep and keeps its place", async () => {
    const result = await sweepStorage(env);
    expect(result.scanned).toBeGreaterThanOrEqual(0);
    expect(await env.BUCKET.head("system/storage-sweep-cursor")).toBeNull(); // a small store ends in one run
  });
});
