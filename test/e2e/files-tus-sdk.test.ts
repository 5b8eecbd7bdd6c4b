// The SDK's own tus client (sdk/storage/resumable.ts) against a real worker: chunks through a
// connection cut, a pause by AbortSignal resumed by a second call with the kept URL, and a
// file smaller than one chunk.
import { afterEach, describe, expect, it } from "vitest";
import type { Transport } from "../../sdk/http";
import { type ResumableProgress, type ResumableStore, uploadResumable } from "../../sdk/storage/resumable";
import { cuttingProxy, downloadSha256, projectWithBucket, sha256, testBytes } from "./files-tus-helpers";
import { baseUrl, rejection } from "./helpers";

const MB = 1_000_000;

function transport(url: string, secret: string): Transport {
  return {
    url,
    fetch: (input, init) => fetch(input, init),
    timeoutMs: 30_000,
    authHeaders: async () => ({ "X-API-Key": secret }),
  };
}

/** A `localStorage` stand-in that the test can look into. */
function memoryStore(): ResumableStore & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("uploadResumable (SDK)", () => {
  it("uploads through a connection cut and resolves with the stored file", async () => {
    const { secret } = await projectWithBucket();
    const proxy = await cuttingProxy(baseUrl(), [5 * MB + 777]);
    cleanups.push(() => proxy.close());
    const bytes = testBytes(12 * MB + 3, 21);
    const progress: ResumableProgress[] = [];
    const store = memoryStore();
    const file = await uploadResumable(transport(proxy.url, secret), "media", "sdk/cut.bin", bytes, {
      chunkSize: 3 * MB + 1,
      contentType: "application/x-test",
      metadata: { origin: "e2e" },
      onProgress: (event) => progress.push(event),
      store,
      retryDelays: [0, 200, 500],
    });
    expect(proxy.cuts).toBe(1);
    expect(file).toMatchObject({
      path: "sdk/cut.bin",
      size: bytes.length,
      content_type: "application/x-test",
      metadata: { origin: "e2e" },
    });
    expect(progress.at(-1)).toEqual({ loaded: bytes.length, total: bytes.length });
    expect(store.items.size).toBe(0);
    expect(await downloadSha256("media", "sdk/cut.bin", secret)).toEqual({ sha: sha256(bytes), size: bytes.length });
  });

  it("pauses on abort and resumes from the kept URL on the next call", async () => {
    const { secret } = await projectWithBucket();
    const bytes = new Blob([new Uint8Array(testBytes(9 * MB, 5))], { type: "video/mp4" });
    const store = memoryStore();
    const controller = new AbortController();
    const paused = await rejection(() =>
      uploadResumable(transport(baseUrl(), secret), "media", "sdk/paused.mp4", bytes, {
        chunkSize: 2 * MB,
        store,
        signal: controller.signal,
        onProgress: ({ loaded }) => {
          if (loaded >= 4 * MB) controller.abort();
        },
      }),
    );
    expect(paused).toMatchObject({ code: "aborted" });
    expect(store.items.size).toBe(1);
    const progress: ResumableProgress[] = [];
    const file = await uploadResumable(transport(baseUrl(), secret), "media", "sdk/paused.mp4", bytes, {
      chunkSize: 2 * MB,
      store,
      onProgress: (event) => progress.push(event),
    });
    expect(progress[0]?.loaded).toBeGreaterThanOrEqual(4 * MB);
    expect(file).toMatchObject({ size: 9 * MB, content_type: "video/mp4" });
    const original = new Uint8Array(await bytes.arrayBuffer());
    expect(await downloadSha256("media", "sdk/paused.mp4", secret)).toEqual({
      sha: sha256(original),
      size: original.length,
    });
  });

  it("uploads a small file in one chunk, and an empty one", async () => {
    const { secret } = await projectWithBucket();
    const small = await uploadResumable(
      transport(baseUrl(), secret),
      "media",
      "sdk/hello.txt",
      new TextEncoder().encode("hello"),
      {
        contentType: "text/plain",
        store: null,
      },
    );
    expect(small).toMatchObject({ size: 5, content_type: "text/plain" });
    const empty = await uploadResumable(transport(baseUrl(), secret), "media", "sdk/empty", new Uint8Array(0), {
      store: null,
    });
    expect(empty.size).toBe(0);
  });

  it("rejects with the server's error and keeps no URL", async () => {
    const { secret } = await projectWithBucket();
    const store = memoryStore();
    const error = await rejection(() =>
      uploadResumable(transport(baseUrl(), secret), "media", "../escape", new Uint8Array(10), { store }),
    );
    expect(error).toMatchObject({ status: 400, code: "invalid_path" });
    expect(store.items.size).toBe(0);
  });
});
