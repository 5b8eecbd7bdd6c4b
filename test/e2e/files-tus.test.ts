// Resumable uploads with the real tus-js-client against a real worker (wrangler dev): a large
// file in odd-sized chunks through a proxy that cuts the connection twice mid-chunk, and an
// upload that a second process resumes from the URL the first one kept.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as tus from "tus-js-client";
import { Upload, type UploadOptions, type UrlStorage } from "tus-js-client";
import { afterEach, describe, expect, it } from "vitest";
import { cuttingProxy, downloadSha256, projectWithBucket, sha256, testBytes } from "./files-tus-helpers";
import { baseUrl } from "./helpers";

const MB = 1_000_000;
/** tus-js-client's Node build exports the on-disk URL storage; its typings do not declare it. */
const { FileUrlStorage } = tus as unknown as { FileUrlStorage: new (path: string) => UrlStorage };
const CHILD = fileURLToPath(new URL("./files-tus-child.mjs", import.meta.url));

/** Runs a tus-js-client upload to the end (or its first error). */
function upload(bytes: Buffer, options: UploadOptions): { done: Promise<Upload>; upload: Upload } {
  const { promise, resolve, reject } = Promise.withResolvers<Upload>();
  const tus = new Upload(bytes, { ...options, onSuccess: () => resolve(tus), onError: reject });
  tus.start();
  return { done: promise, upload: tus };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("tus-js-client against the worker", () => {
  it("uploads 120 MB in 7,340,033-byte chunks through two connection cuts, byte-identical", {
    timeout: 120_000,
  }, async () => {
    const { secret } = await projectWithBucket();
    const bytes = testBytes(120 * MB, 42);
    // Cut twice, both in the middle of a chunk (a chunk is ~7.3 MB; the headers add a few hundred bytes).
    const proxy = await cuttingProxy(baseUrl(), [31 * MB, 77 * MB + 123_457]);
    cleanups.push(() => proxy.close());
    const started = Date.now();
    const offsets: number[] = [];
    const { done } = upload(bytes, {
      endpoint: `${proxy.url}/v1/storage/buckets/media/uploads`,
      headers: { "X-API-Key": secret },
      chunkSize: 7_340_033,
      metadata: { path: "videos/big.bin", filetype: "video/mp4", title: "Big" },
      retryDelays: [0, 250, 1000, 2000],
      onChunkComplete: (_size, accepted) => offsets.push(accepted),
    });
    const finished = await done;
    const seconds = (Date.now() - started) / 1000;
    console.log(`tus: 120 MB with 2 cuts in ${seconds.toFixed(1)} s (${(120 / seconds).toFixed(1)} MB/s)`);
    expect(proxy.cuts).toBe(2);
    expect(finished.url).toContain(proxy.url);
    expect(offsets.at(-1)).toBe(bytes.length);
    expect(await downloadSha256("media", "videos/big.bin", secret)).toEqual({ sha: sha256(bytes), size: bytes.length });
  });

  it("resumes from another process with the URL the first one stored", { timeout: 60_000 }, async () => {
    const { secret } = await projectWithBucket();
    const dir = await mkdtemp(join(tmpdir(), "flarebase-tus-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const bytes = testBytes(20 * MB + 5, 7);
    const file = join(dir, "clip.bin");
    await writeFile(file, bytes);
    const storagePath = join(dir, "tus-urls.json");

    // The first process (this one) sends two chunks, then stops as if the page were closed.
    const { promise: twoChunks, resolve } = Promise.withResolvers<void>();
    let chunks = 0;
    const first = upload(bytes, {
      endpoint: `${baseUrl()}/v1/storage/buckets/media/uploads`,
      headers: { "X-API-Key": secret },
      chunkSize: 4_000_037,
      metadata: { path: "clips/resumed.bin", filetype: "application/octet-stream" },
      urlStorage: new FileUrlStorage(storagePath),
      fingerprint: async () => "files-tus-resume",
      storeFingerprintForResuming: true,
      onChunkComplete: () => {
        if (++chunks === 2) resolve();
      },
    });
    first.done.catch(() => {});
    await twoChunks;
    await first.upload.abort();
    const { stdout } = await promisify(execFile)(process.execPath, [CHILD, file, storagePath, secret], {
      timeout: 45_000,
    });
    const child = JSON.parse(stdout.trim().split("\n").at(-1) as string) as {
      ok: boolean;
      url: string;
      resumedAt: number;
      error?: string;
    };
    expect(child).toMatchObject({ ok: true, url: first.upload.url });
    // Resumed, not restarted: from two chunks or more (the abort may come while a third is still
    // arriving, and the server keeps what arrived), never from zero or the end.
    expect(child.resumedAt).toBeGreaterThanOrEqual(2 * 4_000_037);
    expect(child.resumedAt).toBeLessThan(bytes.length);
    expect(await downloadSha256("media", "clips/resumed.bin", secret)).toEqual({
      sha: sha256(bytes),
      size: bytes.length,
    });
  });
});
