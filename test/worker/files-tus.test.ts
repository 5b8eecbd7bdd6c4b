import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseUploadMetadata, TUS_CONTENT_TYPE } from "../../core/protocol/tus";
import { getFileRow } from "../../data/files/files";
import {
  BUCKET,
  createUpload,
  headOffset,
  MIB,
  patchChunk,
  sendAll,
  sha256,
  startUpload,
  storedBytes,
  testBytes,
  tusHeaders,
  tusProject,
} from "./files-tus-helpers";
import { api, errorOf, mintToken } from "./helpers";

describe("tus protocol", () => {
  it("answers OPTIONS discovery with the version, extensions and max size", async () => {
    const response = await api(`/v1/storage/buckets/${BUCKET}/uploads`, { method: "OPTIONS" });
    expect(response.status).toBe(204);
    expect(response.headers.get("Tus-Resumable")).toBe("1.0.0");
    expect(response.headers.get("Tus-Version")).toBe("1.0.0");
    expect(response.headers.get("Tus-Extension")).toBe("creation,creation-with-upload,termination,expiration");
    expect(Number(response.headers.get("Tus-Max-Size"))).toBeGreaterThan(1024 * 1024 * MIB);
  });

  it("refuses a request without Tus-Resumable with 412 and the supported version", async () => {
    const project = await tusProject();
    const response = await api(`/v1/storage/buckets/${BUCKET}/uploads`, {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret, "Upload-Length": "10" },
    });
    expect(response.status).toBe(412);
    expect(response.headers.get("Tus-Version")).toBe("1.0.0");
    expect((await errorOf(response)).code).toBe("precondition_failed");
  });

  it("creates an upload: 201 with an absolute Location, Upload-Expires; HEAD reports offset, length, metadata", async () => {
    const project = await tusProject();
    const response = await createUpload({
      key: project.keys.secret,
      length: 100,
      metadata: { path: "a/b.bin", x: "ü" },
    });
    expect(response.status).toBe(201);
    const location = response.headers.get("Location") as string;
    expect(location).toMatch(/^https:\/\/flarebase\.test\/v1\/storage\/buckets\/media\/uploads\/[0-9a-z]{24}$/);
    expect(Date.parse(response.headers.get("Upload-Expires") as string)).toBeGreaterThan(Date.now());
    expect(response.headers.get("Tus-Resumable")).toBe("1.0.0");
    const head = await api(new URL(location).pathname, { method: "HEAD", headers: tusHeaders(project.keys.secret) });
    expect(head.status).toBe(200);
    expect(head.headers.get("Upload-Offset")).toBe("0");
    expect(head.headers.get("Upload-Length")).toBe("100");
    expect(head.headers.get("Cache-Control")).toBe("no-store");
    expect(parseUploadMetadata(head.headers.get("Upload-Metadata"))).toEqual({ path: "a/b.bin", x: "ü" });
  });

  it("accumulates chunks smaller than a part and completes into an ordinary file", { timeout: 60_000 }, async () => {
    const project = await tusProject();
    const bytes = testBytes(7 * MIB + 12_345);
    const { path } = await startUpload({
      key: project.keys.secret,
      length: bytes.length,
      metadata: { path: "clips/one.mp4", filetype: "video/mp4", title: "One" },
    });
    // 1.3 MB chunks: neither a part nor a block boundary.
    const chunk = 1_300_001;
    for (let at = 0; at < bytes.length; at += chunk) {
      const end = Math.min(bytes.length, at + chunk);
      const response = await patchChunk(path, project.keys.secret, at, bytes.subarray(at, end));
      expect(response.status).toBe(204);
      expect(response.headers.get("Upload-Offset")).toBe(String(end));
      if (end < bytes.length) expect(await headOffset(path, project.keys.secret)).toBe(end);
    }
    expect(await sha256((await storedBytes(project.id, "clips/one.mp4")) as Uint8Array)).toBe(await sha256(bytes));
    const row = await getFileRow(env.DB, project.id, BUCKET, "clips/one.mp4");
    expect(row).toMatchObject({ size: bytes.length, content_type: "video/mp4", metadata: '{"title":"One"}' });
    // The finished upload still answers HEAD (a client that lost the last answer asks again).
    expect(await headOffset(path, project.keys.secret)).toBe(bytes.length);
    const view = await api(path, { headers: tusHeaders(project.keys.secret) });
    expect(await view.json()).toMatchObject({ complete: true, file: { path: "clips/one.mp4", size: bytes.length } });
  });

  it("creation-with-upload: a POST with the whole file finishes it", async () => {
    const project = await tusProject();
    const bytes = testBytes(200_000, 7);
    const response = await createUpload({
      key: project.keys.secret,
      length: bytes.length,
      metadata: { filename: "notes.txt", filetype: "text/plain" },
      body: bytes,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("Upload-Offset")).toBe(String(bytes.length));
    expect(await sha256((await storedBytes(project.id, "notes.txt")) as Uint8Array)).toBe(await sha256(bytes));
  });

  it("stores an empty file", async () => {
    const project = await tusProject();
    const response = await createUpload({ key: project.keys.secret, length: 0, metadata: { path: "empty" } });
    expect(response.status).toBe(201);
    expect((await storedBytes(project.id, "empty"))?.length).toBe(0);
    expect(await getFileRow(env.DB, project.id, BUCKET, "empty")).toMatchObject({ size: 0 });
  });

  it("answers 409 with the stored offset when Upload-Offset does not match", async () => {
    const project = await tusProject();
    const { path } = await startUpload({ key: project.keys.secret, length: 1000 });
    await sendAll(path, project.keys.secret, testBytes(400), 400);
    const response = await patchChunk(path, project.keys.secret, 300, testBytes(100));
    expect(response.status).toBe(409);
    expect(await errorOf(response)).toMatchObject({ code: "conflict", details: { offset: 400 } });
    expect(await headOffset(path, project.keys.secret)).toBe(400);
  });

  it("answers 415 to a chunk with another content type", async () => {
    const project = await tusProject();
    const { path } = await startUpload({ key: project.keys.secret, length: 1000 });
    const response = await patchChunk(path, project.keys.secret, 0, testBytes(10), {
      "Content-Type": "application/octet-stream",
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe("unsupported_media_type");
    expect(await headOffset(path, project.keys.secret)).toBe(0);
  });

  it("refuses a chunk that goes past Upload-Length before reading it", async () => {
    const project = await tusProject();
    const { path } = await startUpload({ key: project.keys.secret, length: 10 });
    const response = await patchChunk(path, project.keys.secret, 0, testBytes(11));
    expect(response.status).toBe(400);
    expect(await headOffset(path, project.keys.secret)).toBe(0);
  });

  it("terminates an upload: DELETE 204, then 404", async () => {
    const project = await tusProject();
    const { path } = await startUpload({ key: project.keys.secret, length: 1000 });
    await sendAll(path, project.keys.secret, testBytes(10), 10);
    const response = await api(path, { method: "DELETE", headers: tusHeaders(project.keys.secret) });
    expect(response.status).toBe(204);
    expect(await headOffset(path, project.keys.secret)).toBeNull();
    expect((await patchChunk(path, project.keys.secret, 10, testBytes(10))).status).toBe(404);
  });

  it("supports X-HTTP-Method-Override for PATCH", async () => {
    const project = await tusProject();
    const { path } = await startUpload({ key: project.keys.secret, length: 5, metadata: { path: "o.txt" } });
    const response = await api(path, {
      method: "POST",
      headers: tusHeaders(project.keys.secret, {
        "X-HTTP-Method-Override": "PATCH",
        "Content-Type": TUS_CONTENT_TYPE,
        "Upload-Offset": "0",
      }),
      body: "hello",
    });
    expect(response.status).toBe(204);
    expect(new TextDecoder().decode((await storedBytes(project.id, "o.txt")) as Uint8Array)).toBe("hello");
  });

  it("needs a path in Upload-Metadata and checks it", async () => {
    const project = await tusProject();
    const missing = await createUpload({ key: project.keys.secret, length: 5, metadata: { filetype: "text/plain" } });
    expect(missing.status).toBe(400);
    const climbing = await createUpload({ key: project.keys.secret, length: 5, metadata: { path: "a/%2e%2e/b" } });
    expect(await errorOf(climbing)).toMatchObject({ status: 400, code: "invalid_path" });
    const malformed = await api(`/v1/storage/buckets/${BUCKET}/uploads`, {
      method: "POST",
      headers: tusHeaders(project.keys.secret, { "Upload-Length": "5", "Upload-Metadata": "path !!!notbase64" }),
    });
    expect(malformed.status).toBe(400);
  });
});

describe("tus uploads and the bucket", () => {
  it("checks the create rule before any byte is stored, with Upload-Length as the size", async () => {
    const project = await tusProject({ rules: { create: "file.size <= 1000" } });
    const denied = await createUpload({ key: project.keys.public, length: 1001 });
    expect(await errorOf(denied)).toMatchObject({ status: 403, code: "forbidden" });
    const allowed = await createUpload({ key: project.keys.public, length: 1000 });
    expect(allowed.status).toBe(201);
  });

  it("is closed to public keys without rules, and refuses unknown buckets", async () => {
    const project = await tusProject();
    expect((await createUpload({ key: project.keys.public, length: 10 })).status).toBe(403);
    const response = await api("/v1/storage/buckets/nope/uploads", {
      method: "POST",
      headers: tusHeaders(project.keys.secret, { "Upload-Length": "10", "Upload-Metadata": "path YQ==" }),
    });
    expect(response.status).toBe(404);
  });

  it("checks the rules again when the upload completes", async () => {
    const project = await tusProject({ rules: { create: "true", update: "true" } });
    const { path } = await startUpload({ key: project.keys.public, length: 10, metadata: { path: "late.bin" } });
    await env.DB.prepare("UPDATE buckets SET rules = ? WHERE project_id = ? AND name = ?")
      .bind(JSON.stringify({ create: "false" }), project.id, BUCKET)
      .run();
    const response = await patchChunk(path, project.keys.public, 0, testBytes(10));
    expect(response.status).toBe(403);
    expect(await storedBytes(project.id, "late.bin")).toBeNull();
    expect(await getFileRow(env.DB, project.id, BUCKET, "late.bin")).toBeNull();
    expect(await headOffset(path, project.keys.public)).toBeNull();
  });

  it("refuses a content type the bucket does not take, and a file above its size limit", async () => {
    const project = await tusProject({ allowed_content_types: ["image/*"], max_file_bytes: 100 });
    const video = await createUpload({ key: project.keys.secret, length: 10 });
    expect(await errorOf(video)).toMatchObject({ status: 415, code: "unsupported_media_type" });
    const big = await createUpload({
      key: project.keys.secret,
      length: 101,
      metadata: { path: "a.png", filetype: "image/png" },
    });
    expect(await errorOf(big)).toMatchObject({ status: 413, code: "file_too_large" });
  });

  it("keeps an upload to its creator: another user gets 404, the secret key may continue", async () => {
    const project = await tusProject({ rules: { create: "true" } });
    const ann = await mintToken(project, { user_id: "ann" });
    const bob = await mintToken(project, { user_id: "bob" });
    const response = await api(`/v1/storage/buckets/${BUCKET}/uploads`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${ann.token}`,
        "Tus-Resumable": "1.0.0",
        "Upload-Length": "4",
        "Upload-Metadata": "path YS5iaW4=",
      },
    });
    expect(response.status).toBe(201);
    const path = new URL(response.headers.get("Location") as string).pathname;
    const asBob = await api(path, {
      method: "HEAD",
      headers: { Authorization: `Bearer ${bob.token}`, "Tus-Resumable": "1.0.0" },
    });
    expect(asBob.status).toBe(404);
    expect(await headOffset(path, project.keys.secret)).toBe(0);
    const other = await tusProject();
    expect(await headOffset(path, other.keys.secret)).toBeNull();
  });
});
