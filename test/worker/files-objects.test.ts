import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FileRecord } from "../../core/files/wire";
import { bytes, credentials, download, objectPath, rowKey, storageProject, storedKeys, upload } from "./files-helpers";
import { api, errorOf } from "./helpers";

describe("files: upload and download by path", () => {
  it("uploads, answers the record, downloads the same bytes with the headers", async () => {
    const { project, secret } = await storageProject();
    const data = bytes(1000);
    const put = await upload(secret, "files", "docs/report.bin", data, {
      "Content-Type": "application/octet-stream",
      "X-Flarebase-Metadata": JSON.stringify({ owner: "ann" }),
    });
    expect(put.status).toBe(201);
    const file = (await put.json()) as FileRecord;
    expect(file).toMatchObject({
      bucket: "files",
      path: "docs/report.bin",
      size: 1000,
      content_type: "application/octet-stream",
      metadata: { owner: "ann" },
      uploaded_by: null,
    });
    expect(file.url).toBe(
      `https://flarebase.test/v1/storage/buckets/files/objects/docs/report.bin?project=${project.id}`,
    );
    expect(put.headers.get("ETag")).toBe(`"${file.etag}"`);

    const got = await download(secret, "files", "docs/report.bin");
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(data);
    expect(got.headers.get("ETag")).toBe(`"${file.etag}"`);
    expect(got.headers.get("Content-Length")).toBe("1000");
    expect(got.headers.get("Accept-Ranges")).toBe("bytes");
    expect(got.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(got.headers.get("Content-Security-Policy")).toBe("sandbox");
    expect(got.headers.get("Cache-Control")).toBe("private, no-cache");
    expect(got.headers.get("Last-Modified")).toBe(
      new Date(Math.floor(Date.parse(file.updated_at) / 1000) * 1000).toUTCString(),
    );
    expect(got.headers.get("Content-Disposition")).toMatch(/^inline; filename="report.bin"/);

    const head = await api(objectPath("files", "docs/report.bin"), { method: "HEAD", headers: credentials(secret) });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe("1000");
    expect(await head.text()).toBe("");
  });

  it("uploading the same path again replaces the file and keeps its id and URL", async () => {
    const { secret } = await storageProject();
    const first = (await (await upload(secret, "files", "a.txt", "one")).json()) as FileRecord;
    const second = await upload(secret, "files", "a.txt", "second");
    expect(second.status).toBe(200);
    const replaced = (await second.json()) as FileRecord;
    expect(replaced).toMatchObject({ id: first.id, url: first.url, size: 6, created_at: first.created_at });
    expect(replaced.etag).not.toBe(first.etag);
    expect(await (await download(secret, "files", "a.txt")).text()).toBe("second");
  });

  it("0-byte and 1-byte files", async () => {
    const { secret } = await storageProject();
    expect((await upload(secret, "files", "empty", new Uint8Array(0))).status).toBe(201);
    expect((await upload(secret, "files", "one", "x")).status).toBe(201);
    const empty = await download(secret, "files", "empty");
    expect(empty.status).toBe(200);
    expect(empty.headers.get("Content-Length")).toBe("0");
    expect(await empty.text()).toBe("");
    expect(await (await download(secret, "files", "one")).text()).toBe("x");
  });

  it("If-None-Match: * creates only; If-Match replaces only the version named", async () => {
    const { secret } = await storageProject();
    const created = await upload(secret, "files", "c.txt", "v1", { "If-None-Match": "*" });
    expect(created.status).toBe(201);
    const { etag } = (await created.json()) as FileRecord;
    const again = await upload(secret, "files", "c.txt", "v2", { "If-None-Match": "*" });
    expect(await errorOf(again)).toMatchObject({ status: 412, code: "precondition_failed" });
    const stale = await upload(secret, "files", "c.txt", "v2", { "If-Match": '"nope"' });
    expect(await errorOf(stale)).toMatchObject({ status: 412, code: "precondition_failed" });
    const missing = await upload(secret, "files", "never.txt", "v2", { "If-Match": `"${etag}"` });
    expect(await errorOf(missing)).toMatchObject({ status: 412, code: "precondition_failed" });
    const ok = await upload(secret, "files", "c.txt", "v2", { "If-Match": `"${etag}"` });
    expect(ok.status).toBe(200);
    expect(await (await download(secret, "files", "c.txt")).text()).toBe("v2");
  });

  it("POST …/objects stores under a new id each time, optionally in a folder", async () => {
    const { secret } = await storageProject();
    const post = (folder?: string) =>
      api(`/v1/storage/buckets/files/objects${folder ? `?folder=${folder}` : ""}`, {
        method: "POST",
        headers: { ...credentials(secret), "Content-Type": "image/png", "Content-Length": "3" },
        body: "png",
      });
    const a = (await (await post()).json()) as FileRecord;
    const b = (await (await post("avatars")).json()) as FileRecord;
    expect(a.id).not.toBe(b.id);
    expect(a.path).toMatch(/^[0-9a-z]{20}$/);
    expect(b.path).toMatch(/^avatars\/[0-9a-z]{20}$/);
    expect(await (await download(secret, "files", b.path)).text()).toBe("png");
  });

  it("metadata: get, merge-update (null removes), content type", async () => {
    const { secret } = await storageProject();
    await upload(secret, "files", "m.txt", "m", { "X-Flarebase-Metadata": '{"a":"1","b":"2"}' });
    const got = await api("/v1/storage/buckets/files/metadata/m.txt", { headers: credentials(secret) });
    expect(await got.json()).toMatchObject({ path: "m.txt", metadata: { a: "1", b: "2" } });
    const patched = await api("/v1/storage/buckets/files/metadata/m.txt", {
      method: "PATCH",
      headers: credentials(secret),
      json: { metadata: { a: null, c: "3" }, content_type: "text/markdown" },
    });
    expect(await patched.json()).toMatchObject({ metadata: { b: "2", c: "3" }, content_type: "text/markdown" });
    expect((await download(secret, "files", "m.txt")).headers.get("Content-Type")).toBe("text/markdown");
    const bad = await upload(secret, "files", "n.txt", "n", { "X-Flarebase-Metadata": '{"a":1}' });
    expect(await errorOf(bad)).toMatchObject({ status: 400, code: "invalid_request" });
  });

  it("deletes one and many: rows and bytes both go", async () => {
    const { project, secret } = await storageProject();
    for (const path of ["d/1", "d/2", "d/3"]) await upload(secret, "files", path, path);
    const one = await api(objectPath("files", "d/1"), { method: "DELETE", headers: credentials(secret) });
    expect(await one.json()).toEqual({ path: "d/1", deleted: true });
    expect(await storedKeys(project.id, "files", "d/1")).toEqual([]);
    expect((await download(secret, "files", "d/1")).status).toBe(404);
    const many = await api("/v1/storage/buckets/files/delete", {
      method: "POST",
      headers: credentials(secret),
      json: { paths: ["d/2", "d/3", "d/nope"] },
    });
    expect(await many.json()).toEqual({ deleted: ["d/2", "d/3"], not_found: ["d/nope"] });
    expect(await storedKeys(project.id, "files", "d/2")).toEqual([]);
    expect(await storedKeys(project.id, "files", "d/3")).toEqual([]);
    const again = await api(objectPath("files", "d/1"), { method: "DELETE", headers: credentials(secret) });
    expect(await errorOf(again)).toMatchObject({ status: 404, code: "not_found" });
  });

  it("lists with prefix, folders and a cursor", async () => {
    const { secret } = await storageProject();
    for (const path of ["a/1.txt", "a/2.txt", "a/b/3.txt", "c.txt", "d/4.txt"])
      await upload(secret, "files", path, "x");
    const list = async (query: string) =>
      (await (await api(`/v1/storage/buckets/files/objects?${query}`, { headers: credentials(secret) })).json()) as {
        items: FileRecord[];
        folders: { prefix: string }[];
        next_cursor: string | null;
      };
    const all = await list("");
    expect(all.items.map((f) => f.path)).toEqual(["a/1.txt", "a/2.txt", "a/b/3.txt", "c.txt", "d/4.txt"]);
    const root = await list("delimiter=/");
    expect(root.folders.map((f) => f.prefix)).toEqual(["a/", "d/"]);
    expect(root.items.map((f) => f.path)).toEqual(["c.txt"]);
    const inA = await list("prefix=a/&delimiter=/");
    expect(inA.folders).toEqual([{ prefix: "a/b/" }]);
    expect(inA.items.map((f) => f.path)).toEqual(["a/1.txt", "a/2.txt"]);
    const paths: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      paths.push(...page.items.map((f) => f.path));
      cursor = page.next_cursor;
    } while (cursor);
    expect(paths).toEqual(all.items.map((f) => f.path));
    const bad = await api("/v1/storage/buckets/files/objects?cursor=%%%", { headers: credentials(secret) });
    expect(bad.status).toBe(400);
  });

  it("a missing bucket or file is 404, another project's bucket is invisible", async () => {
    const a = await storageProject();
    const b = await storageProject();
    await upload(a.secret, "files", "secret.txt", "a's");
    expect((await download(b.secret, "files", "secret.txt")).status).toBe(404);
    expect((await download(a.secret, "nope", "x")).status).toBe(404);
    // Naming the other project explicitly does not help either.
    const cross = await download(b.secret, "files", "secret.txt", {}, `?project=${a.project.id}`);
    expect(await errorOf(cross)).toMatchObject({ status: 403, code: "forbidden" });
  });
});

describe("files: concurrent writes", () => {
  it("two create-only uploads to one path at once: exactly one wins, the other gets 412", async () => {
    const { secret } = await storageProject();
    const [a, b] = await Promise.all([
      upload(secret, "files", "race.txt", "from a", { "If-None-Match": "*" }),
      upload(secret, "files", "race.txt", "from b", { "If-None-Match": "*" }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([201, 412]);
    const winner = a.status === 201 ? "from a" : "from b";
    expect(await (await download(secret, "files", "race.txt")).text()).toBe(winner);
  });

  it("racing replaces leave a row that describes the bytes R2 kept", async () => {
    const { project, secret } = await storageProject();
    await upload(secret, "files", "busy.bin", "seed");
    const sizes = [1, 300, 20_000, 5, 4096, 77];
    await Promise.all(sizes.map((size, i) => upload(secret, "files", "busy.bin", bytes(size, i))));
    // Only the bytes the row names are left: each replace deleted the bytes it replaced.
    const key = (await rowKey(project.id, "files", "busy.bin")) as string;
    expect(await storedKeys(project.id, "files", "busy.bin")).toEqual([key]);
    const object = await env.BUCKET.head(key);
    const got = await download(secret, "files", "busy.bin");
    const body = new Uint8Array(await got.arrayBuffer());
    expect(got.headers.get("ETag")).toBe(`"${object?.etag}"`);
    expect(Number(got.headers.get("Content-Length"))).toBe(object?.size);
    expect(body.byteLength).toBe(object?.size);
  });
});

describe("files: bytes gone behind the API's back", () => {
  it("download as a typed 404, not a 500", async () => {
    const { project, secret } = await storageProject();
    await upload(secret, "files", "ghost.txt", "boo");
    await env.BUCKET.delete((await rowKey(project.id, "files", "ghost.txt")) as string);
    expect(await errorOf(await download(secret, "files", "ghost.txt"))).toMatchObject({
      status: 404,
      code: "not_found",
    });
  });
});
