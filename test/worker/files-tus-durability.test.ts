import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getFileRow } from "../../data/files/files";
import type { UploadObject } from "../../durable-objects/upload/upload";
import type { UploadResult } from "../../durable-objects/upload/upload-record";
import { UploadStore } from "../../durable-objects/upload/upload-store";
import {
  BUCKET,
  headOffset,
  MIB,
  patchChunk,
  sendAll,
  sha256,
  startUpload,
  storedBytes,
  testBytes,
  tusProject,
  uploadObject,
} from "./files-tus-helpers";

/** What the upload object holds: its R2 parts and kept blocks, and its multipart upload. */
async function inside(projectId: string, uploadId: string) {
  return runInDurableObject(uploadObject(projectId, uploadId), (_instance: UploadObject, state) => {
    const store = new UploadStore(state.storage.sql);
    const record = store.record();
    return {
      parts: store.partCount(),
      blocks: store.blocks().map((block) => block.size),
      multipartId: record?.multipart_id ?? null,
      key: record?.key ?? null,
    };
  });
}

/** A body that sends `bytes`, then fails: a connection cut in the middle of a chunk. */
function cutAfter(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes);
        return;
      }
      controller.error(new Error("connection cut"));
    },
  });
}

describe("tus uploads: parts, durability, expiry", () => {
  it("splits a chunk larger than a part into whole parts and keeps the rest", { timeout: 60_000 }, async () => {
    const project = await tusProject();
    const bytes = testBytes(13 * MIB, 3);
    const { path, id } = await startUpload({
      key: project.keys.secret,
      length: bytes.length,
      metadata: { path: "big" },
    });
    await sendAll(path, project.keys.secret, bytes.subarray(0, 12 * MIB), 12 * MIB);
    // 12 MiB with 5 MiB parts: two parts in R2, 2 MiB kept as blocks of at most 1 MiB.
    expect(await inside(project.id, id)).toMatchObject({ parts: 2, blocks: [MIB, MIB] });
    await sendAll(path, project.keys.secret, bytes, MIB, 12 * MIB);
    expect(await sha256((await storedBytes(project.id, "big")) as Uint8Array)).toBe(await sha256(bytes));
    expect(await inside(project.id, id)).toMatchObject({ parts: 0, blocks: [] });
  });

  it("sends a part again whose send failed, still exactly one part long", { timeout: 60_000 }, async () => {
    const project = await tusProject();
    const bytes = testBytes(12 * MIB, 13);
    const { path, id } = await startUpload({
      key: project.keys.secret,
      length: bytes.length,
      metadata: { path: "retry" },
    });
    // 6 MiB kept as blocks, none sent: what a chunk leaves when R2 failed (or the object was
    // evicted) in the middle of sending its first part.
    await runInDurableObject(uploadObject(project.id, id), (_instance: UploadObject, state) => {
      const store = new UploadStore(state.storage.sql);
      for (let at = 0; at < 6 * MIB; at += MIB) store.addBlock(bytes.slice(at, at + MIB));
    });
    await evictDurableObject(uploadObject(project.id, id));
    expect(await headOffset(path, project.keys.secret)).toBe(6 * MIB);
    await sendAll(path, project.keys.secret, bytes, 6 * MIB, 6 * MIB);
    expect(await sha256((await storedBytes(project.id, "retry")) as Uint8Array)).toBe(await sha256(bytes));
  });

  it("loses nothing when the upload object is evicted between chunks", async () => {
    const project = await tusProject();
    const bytes = testBytes(6 * MIB + 77, 5);
    const { path, id } = await startUpload({ key: project.keys.secret, length: bytes.length, metadata: { path: "e" } });
    await sendAll(path, project.keys.secret, bytes.subarray(0, 5 * MIB + 3), 5 * MIB + 3);
    await evictDurableObject(uploadObject(project.id, id));
    expect(await headOffset(path, project.keys.secret)).toBe(5 * MIB + 3);
    await sendAll(path, project.keys.secret, bytes.subarray(0, 6 * MIB), 700_000, 5 * MIB + 3);
    await evictDurableObject(uploadObject(project.id, id));
    await sendAll(path, project.keys.secret, bytes, MIB, 6 * MIB);
    expect(await sha256((await storedBytes(project.id, "e")) as Uint8Array)).toBe(await sha256(bytes));
  });

  it("keeps what arrived before a connection cut mid-chunk, and resumes from there", async () => {
    const project = await tusProject();
    const bytes = testBytes(3 * MIB, 9);
    const { path } = await startUpload({ key: project.keys.secret, length: bytes.length, metadata: { path: "cut" } });
    const cut = 1_500_000;
    // (workerd logs the body's error as uncaught: it is this test's stream failing, on purpose.)
    const answer = await patchChunk(path, project.keys.secret, 0, cutAfter(bytes.slice(0, cut)));
    expect(answer.headers.get("Upload-Offset")).toBe(String(cut));
    expect(await headOffset(path, project.keys.secret)).toBe(cut);
    await sendAll(path, project.keys.secret, bytes, 2 * MIB, cut);
    expect(await sha256((await storedBytes(project.id, "cut")) as Uint8Array)).toBe(await sha256(bytes));
  });

  it("expires an unfinished upload by alarm and aborts its multipart upload", async () => {
    const project = await tusProject();
    const bytes = testBytes(6 * MIB, 11);
    const { path, id } = await startUpload({ key: project.keys.secret, length: 20 * MIB, metadata: { path: "x" } });
    await sendAll(path, project.keys.secret, bytes, 6 * MIB);
    const before = await inside(project.id, id);
    expect(before).toMatchObject({ parts: 1, blocks: [MIB] });
    const stub = uploadObject(project.id, id);
    // Not yet due: the alarm only moves on.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await headOffset(path, project.keys.secret)).toBe(6 * MIB);
    await runInDurableObject(stub, (_instance: UploadObject, state) => {
      const store = new UploadStore(state.storage.sql);
      const record = store.record();
      if (record) store.saveRecord({ ...record, expires_at: Date.now() - 1 });
    });
    await evictDurableObject(stub); // reload the record with the past expiry
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await headOffset(path, project.keys.secret)).toBeNull();
    expect(await inside(project.id, id)).toMatchObject({ parts: 0, blocks: [], multipartId: null });
    // R2 no longer knows the multipart upload: neither a new part nor a completion is taken.
    const multipart = env.BUCKET.resumeMultipartUpload(before.key as string, before.multipartId as string);
    await expect(multipart.uploadPart(2, new Uint8Array(10))).rejects.toThrow();
    expect(await getFileRow(env.DB, project.id, BUCKET, "x")).toBeNull();
  });

  it("writes the row of a file R2 holds when its request failed after R2 (by the expiry alarm)", async () => {
    const project = await tusProject();
    // All bytes in, rules passed; then R2 takes the file but D1 does not (its bucket is gone).
    const second = await startUpload({ key: project.keys.secret, length: 10, metadata: { path: "orphan.bin" } });
    const other = uploadObject(project.id, second.id);
    await other.append(0, new Blob([testBytes(10)]).stream());
    const bucket = await env.DB.prepare("SELECT * FROM buckets WHERE project_id = ?").bind(project.id).first();
    await env.DB.prepare("DELETE FROM files WHERE project_id = ?").bind(project.id).run();
    await env.DB.prepare("DELETE FROM buckets WHERE project_id = ?").bind(project.id).run();
    expect(((await other.store()) as UploadResult).error?.code).toBe("internal");
    expect(await storedBytes(project.id, "orphan.bin")).not.toBeNull();
    const row = bucket as Record<string, unknown>;
    await env.DB.prepare(
      "INSERT INTO buckets (project_id, name, public, rules, created_at, updated_at) VALUES (?, ?, 0, '{}', ?, ?)",
    )
      .bind(project.id, row.name, row.created_at, row.updated_at)
      .run();
    await runInDurableObject(other, (_instance: UploadObject, state) => {
      const store = new UploadStore(state.storage.sql);
      const record = store.record();
      expect(record?.phase).toBe("stored");
      if (record) store.saveRecord({ ...record, expires_at: Date.now() - 1 });
    });
    await evictDurableObject(other);
    expect(await runDurableObjectAlarm(other)).toBe(true);
    expect(await getFileRow(env.DB, project.id, BUCKET, "orphan.bin")).toMatchObject({ size: 10 });
    expect(await headOffset(second.path, project.keys.secret)).toBeNull();
  });

  it("aborts the multipart upload on termination", async () => {
    const project = await tusProject();
    const { path, id } = await startUpload({ key: project.keys.secret, length: 20 * MIB, metadata: { path: "t" } });
    await sendAll(path, project.keys.secret, testBytes(5 * MIB), 5 * MIB);
    const before = await inside(project.id, id);
    expect(before.parts).toBe(1);
    await uploadObject(project.id, id).terminate();
    const multipart = env.BUCKET.resumeMultipartUpload(before.key as string, before.multipartId as string);
    await expect(multipart.uploadPart(2, new Uint8Array(10))).rejects.toThrow();
  });
});
