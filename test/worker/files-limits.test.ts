import { describe, expect, it } from "vitest";
import { checkFilePath, MAX_FILE_PATH_BYTES } from "../../core/files/path";
import type { FileRecord } from "../../core/files/wire";
import { credentials, download, patchBucket, storageProject, storedKeys, upload } from "./files-helpers";
import { adminHeaders, api, errorOf } from "./helpers";

describe("path attacks", () => {
  it("refuses traversal, encoded traversal, backslashes, NUL, control characters and overlong paths", async () => {
    const { secret } = await storageProject();
    const raw = (path: string) =>
      api(`/v1/storage/buckets/files/objects/${path}`, {
        method: "PUT",
        headers: { ...credentials(secret), "Content-Length": "1" },
        body: "x",
      });
    for (const path of [
      "a/%2E%2E", // the URL parser resolves it to "" (see below)
      "%2e%2e%2fsecret",
      "..%2f..%2fother",
      "a/%252e%252e/b",
      "a%5cb",
      "a/%00b",
      "a/%0ab",
      "a//b",
      "%2fabs",
      "dir/",
      "%ff",
      `${"x".repeat(MAX_FILE_PATH_BYTES + 1)}`,
    ]) {
      const response = await raw(path);
      expect(response.status, path).toBe(400);
      const error = await errorOf(response);
      expect(error.code, path).toBe("invalid_path");
    }
    // Dot segments that are whole URL segments are resolved by URL parsing (WHATWG URL treats
    // %2e like .) before any route sees them: the request is one for the resolved path, inside
    // the same bucket, as if the client had asked for that.
    for (const [path, stored] of [
      ["a/%2e%2e/b", "b"],
      ["a/./b", "a/b"],
      ["a/%2e/b", "a/b"],
    ]) {
      const response = await raw(path as string);
      expect(((await response.json()) as FileRecord).path, path).toBe(stored);
    }
    const ok = await raw("a/b%20c.txt");
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as FileRecord).path).toBe("a/b c.txt");
  });

  it("normalizes paths to NFC: two spellings of one name are one file", async () => {
    const { secret } = await storageProject();
    await upload(secret, "files", "caf\u0065\u0301.txt", "nfd");
    const got = await download(secret, "files", "caf\u00e9.txt");
    expect(await got.text()).toBe("nfd");
    expect(checkFilePath("caf\u0065\u0301.txt")).toEqual({ ok: true, path: "caf\u00e9.txt" });
    expect(checkFilePath("a\ud800b")).toMatchObject({ ok: false, reason: "unpaired_surrogate" });
    expect(checkFilePath("a\u0085b")).toMatchObject({ ok: false, reason: "control_character" });
  });
});

describe("sizes, types and quota", () => {
  it("a huge Content-Length is refused before a byte is read", async () => {
    const { secret } = await storageProject();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const response = await api("/v1/storage/buckets/files/objects/huge.bin", {
      method: "PUT",
      headers: { ...credentials(secret), "Content-Length": String(10 * 1024 ** 4) },
      body,
      // @ts-expect-error: a streamed request body (Node's fetch types want duplex)
      duplex: "half",
    });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: "file_too_large" });
    expect(pulled).toBeLessThan(10); // the stream may prime a chunk or two; it is never drained
  });

  it("an upload without Content-Length is 411", async () => {
    const { secret } = await storageProject();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(3));
        controller.close();
      },
    });
    const response = await api("/v1/storage/buckets/files/objects/x.bin", {
      method: "PUT",
      headers: credentials(secret),
      body,
    });
    expect(response.status).toBe(411);
  });

  it("a body shorter than its Content-Length stores nothing and lists nothing", async () => {
    const { project, secret } = await storageProject();
    const { readable, writable } = new FixedLengthStream(100);
    const writer = writable.getWriter();
    void writer.write(new Uint8Array(40)).then(() => writer.close().catch(() => {}));
    const response = await api("/v1/storage/buckets/files/objects/short.bin", {
      method: "PUT",
      headers: { ...credentials(secret), "Content-Length": "100" },
      body: readable,
    });
    expect(response.status).toBe(400);
    expect(await storedKeys(project.id, "files", "short.bin")).toEqual([]);
    const list = (await (await api("/v1/storage/buckets/files/objects", { headers: credentials(secret) })).json()) as {
      items: unknown[];
    };
    expect(list.items).toEqual([]);
  });

  it("the bucket's max_file_bytes and allowed content types", async () => {
    const { project, secret } = await storageProject();
    await patchBucket(project, "files", { max_file_bytes: 10, allowed_content_types: ["image/*", "text/plain"] });
    expect(await errorOf(await upload(secret, "files", "big.txt", "x".repeat(11)))).toMatchObject({
      status: 413,
      code: "file_too_large",
    });
    expect((await upload(secret, "files", "ok.txt", "x".repeat(10))).status).toBe(201);
    expect((await upload(secret, "files", "a.png", "p", { "Content-Type": "image/png" })).status).toBe(201);
    expect((await upload(secret, "files", "a.txt", "t", { "Content-Type": "text/plain; charset=utf-8" })).status).toBe(
      201,
    );
    expect(
      await errorOf(await upload(secret, "files", "a.pdf", "p", { "Content-Type": "application/pdf" })),
    ).toMatchObject({ status: 415, code: "unsupported_media_type" });
  });

  it("the project's quota is enforced on upload with a typed error; replacing counts the difference", async () => {
    const { project, secret } = await storageProject();
    const quota = await api(`/v1/admin/projects/${project.id}/storage`, {
      method: "PUT",
      headers: adminHeaders,
      json: { quota_bytes: 10 },
    });
    expect(await quota.json()).toEqual({ used_bytes: 0, file_count: 0, quota_bytes: 10 });
    expect((await upload(secret, "files", "a", "x".repeat(6))).status).toBe(201);
    const over = await errorOf(await upload(secret, "files", "b", "x".repeat(5)));
    expect(over).toMatchObject({
      status: 413,
      code: "quota_exceeded",
      details: { quota_bytes: 10, used_bytes: 6, needed_bytes: 5 },
    });
    expect((await upload(secret, "files", "a", "x".repeat(10))).status).toBe(200); // replaces 6 with 10
    const usage = await api("/v1/storage/usage", { headers: credentials(secret) });
    expect(await usage.json()).toEqual({ used_bytes: 10, file_count: 1, quota_bytes: 10 });
    await api(`/v1/storage/buckets/files/objects/a`, { method: "DELETE", headers: credentials(secret) });
    expect((await upload(secret, "files", "b", "x".repeat(5))).status).toBe(201);
  });
});
