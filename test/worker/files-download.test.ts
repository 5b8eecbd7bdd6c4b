import { describe, expect, it } from "vitest";
import type { FileRecord } from "../../core/files/wire";
import { parseRange } from "../../worker/routes/storage-download";
import { bytes, download, patchBucket, storageProject, upload } from "./files-helpers";
import { errorOf } from "./helpers";

const DATA = bytes(100);

async function withFile(type = "text/plain") {
  const setup = await storageProject();
  const file = (await (
    await upload(setup.secret, "files", "f.bin", DATA, { "Content-Type": type })
  ).json()) as FileRecord;
  return { ...setup, file };
}

describe("files: Range", () => {
  it("a closed range gives 206 with Content-Range and exactly those bytes", async () => {
    const { secret } = await withFile();
    const got = await download(secret, "files", "f.bin", { Range: "bytes=10-19" });
    expect(got.status).toBe(206);
    expect(got.headers.get("Content-Range")).toBe("bytes 10-19/100");
    expect(got.headers.get("Content-Length")).toBe("10");
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(DATA.slice(10, 20));
  });

  it("open-ended, suffix, and an end past the file are clamped", async () => {
    const { secret } = await withFile();
    const open = await download(secret, "files", "f.bin", { Range: "bytes=95-" });
    expect(open.headers.get("Content-Range")).toBe("bytes 95-99/100");
    expect(new Uint8Array(await open.arrayBuffer())).toEqual(DATA.slice(95));
    const suffix = await download(secret, "files", "f.bin", { Range: "bytes=-5" });
    expect(suffix.headers.get("Content-Range")).toBe("bytes 95-99/100");
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(DATA.slice(95));
    const bigSuffix = await download(secret, "files", "f.bin", { Range: "bytes=-500" });
    expect(bigSuffix.headers.get("Content-Range")).toBe("bytes 0-99/100");
    const pastEnd = await download(secret, "files", "f.bin", { Range: "bytes=90-1000" });
    expect(pastEnd.headers.get("Content-Range")).toBe("bytes 90-99/100");
    expect((await pastEnd.arrayBuffer()).byteLength).toBe(10);
  });

  it("a range starting past the end is 416 with bytes */size", async () => {
    const { secret } = await withFile();
    const got = await download(secret, "files", "f.bin", { Range: "bytes=100-" });
    expect(got.headers.get("Content-Range")).toBe("bytes */100");
    expect(await errorOf(got)).toMatchObject({ status: 416, code: "range_not_satisfiable" });
    const zero = await download(secret, "files", "f.bin", { Range: "bytes=-0" });
    expect(zero.status).toBe(416);
  });

  it("several ranges are refused cleanly with 416 and a message", async () => {
    const { secret } = await withFile();
    const got = await download(secret, "files", "f.bin", { Range: "bytes=0-1, 5-6" });
    const error = await errorOf(got);
    expect(error).toMatchObject({ status: 416, code: "range_not_satisfiable" });
    expect(error.message).toMatch(/one byte range/);
  });

  it("a malformed or inverted Range is ignored (200, whole file)", async () => {
    const { secret } = await withFile();
    for (const range of ["items=0-1", "bytes=abc", "bytes=9-3", "bytes=-"]) {
      const got = await download(secret, "files", "f.bin", { Range: range });
      expect(got.status, range).toBe(200);
      expect((await got.arrayBuffer()).byteLength).toBe(100);
    }
  });

  it("If-Range with a stale ETag sends the whole file", async () => {
    const { secret, file } = await withFile();
    const stale = await download(secret, "files", "f.bin", { Range: "bytes=0-0", "If-Range": '"old"' });
    expect(stale.status).toBe(200);
    const fresh = await download(secret, "files", "f.bin", { Range: "bytes=0-0", "If-Range": `"${file.etag}"` });
    expect(fresh.status).toBe(206);
  });

  it("an empty file has no satisfiable range", async () => {
    expect(parseRange("bytes=0-", 0)).toBe("unsatisfiable");
    expect(parseRange("bytes=-1", 0)).toBe("unsatisfiable");
    expect(parseRange(undefined, 0)).toBeNull();
  });
});

describe("files: conditional GET", () => {
  it("If-None-Match with the ETag (or *, or in a list, or weak) gives 304 with validators", async () => {
    const { secret, file } = await withFile();
    for (const value of [`"${file.etag}"`, "*", `"x", "${file.etag}"`, `W/"${file.etag}"`]) {
      const got = await download(secret, "files", "f.bin", { "If-None-Match": value });
      expect(got.status, value).toBe(304);
      expect(got.headers.get("ETag")).toBe(`"${file.etag}"`);
      expect(await got.text()).toBe("");
    }
    expect((await download(secret, "files", "f.bin", { "If-None-Match": '"other"' })).status).toBe(200);
  });

  it("If-Modified-Since: 304 at or after Last-Modified, 200 before; If-None-Match wins over it", async () => {
    const { secret, file } = await withFile();
    const lastModified = new Date(Date.parse(file.updated_at));
    const later = new Date(lastModified.getTime() + 60_000).toUTCString();
    const earlier = new Date(lastModified.getTime() - 60_000).toUTCString();
    expect((await download(secret, "files", "f.bin", { "If-Modified-Since": later })).status).toBe(304);
    expect((await download(secret, "files", "f.bin", { "If-Modified-Since": lastModified.toUTCString() })).status).toBe(
      304,
    );
    expect((await download(secret, "files", "f.bin", { "If-Modified-Since": earlier })).status).toBe(200);
    const both = await download(secret, "files", "f.bin", { "If-Modified-Since": later, "If-None-Match": '"other"' });
    expect(both.status).toBe(200);
  });

  it("If-Match that fails is 412", async () => {
    const { secret } = await withFile();
    expect(await errorOf(await download(secret, "files", "f.bin", { "If-Match": '"other"' }))).toMatchObject({
      status: 412,
      code: "precondition_failed",
    });
  });
});

describe("files: what a download says about itself", () => {
  it("markup and scripts are attachments, sandboxed and nosniff", async () => {
    for (const type of [
      "text/html",
      "image/svg+xml",
      "application/xml",
      "text/html; charset=utf-8",
      "text/javascript",
    ]) {
      const { secret } = await withFile(type);
      const got = await download(secret, "files", "f.bin");
      expect(got.headers.get("Content-Disposition"), type).toMatch(/^attachment;/);
      expect(got.headers.get("Content-Security-Policy")).toBe("sandbox");
      expect(got.headers.get("X-Content-Type-Options")).toBe("nosniff");
    }
    const { secret } = await withFile("image/png");
    expect((await download(secret, "files", "f.bin")).headers.get("Content-Disposition")).toMatch(/^inline;/);
  });

  it("?download asks for an attachment, with a UTF-8 file name", async () => {
    const { secret } = await withFile("image/png");
    const got = await download(secret, "files", "f.bin", {}, "?download=1&filename=caf%C3%A9.png");
    expect(got.headers.get("Content-Disposition")).toBe(
      `attachment; filename="caf_.png"; filename*=UTF-8''caf%C3%A9.png`,
    );
  });

  it("the bucket's Cache-Control is sent", async () => {
    const { project, secret } = await withFile();
    await patchBucket(project, "files", { cache_control: "public, max-age=60, immutable" });
    expect((await download(secret, "files", "f.bin")).headers.get("Cache-Control")).toBe(
      "public, max-age=60, immutable",
    );
  });
});
