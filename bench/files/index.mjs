/**
 * Files benchmark (`npm run bench -- files`): the storage API on local R2 and D1 against a minimal
 * hand-written Worker that streams straight to and from the same R2 binding in the same workerd
 * (bench/files/fixture-worker.ts):
 * - upload and download MB/s of 1 MB files (one request at a time, several files) and of one
 *   100 MB file, ours (`PUT/GET …/objects/<path>` with a secret key: auth, bucket, rules, quota,
 *   the D1 row, the headers) against `BUCKET.put(key, request.body)` / `BUCKET.get(key)`;
 * - `GET` p50/p99 of a small (1 KB) file;
 * - list p50/p99 of the first page (100) over 10,000 files, and of one folder with `delimiter=/`,
 *   against the same page as hand-written SQL.
 * Runs alternate between the two writers; each figure is the median of the repeats. Local R2
 * writes to disk and dominates the MB/s: compare the two columns, not the absolute speed.
 */
import { percentile, ratio, round, withBenchServer } from "../local-server.mjs";

export const name = "files";
export const description =
  "files on local R2 and D1: upload and download MB/s (1 MB and 100 MB), small-file GET p50, list p50 over 10,000 files, vs a minimal Worker streaming to the same R2";

const CONFIG = "bench/files/wrangler.toml";
const MB = 1024 * 1024;
const SMALL_FILES = 20;
const REPEATS = 3;
const GET_SAMPLES = 200;
const LIST_FILES = 10_000;
const LIST_SAMPLES = 100;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function pseudoRandom(size) {
  const bytes = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
    bytes[i + 1] = (x >>> 8) & 0xff;
    bytes[i + 2] = (x >>> 16) & 0xff;
    bytes[i + 3] = (x >>> 24) & 0xff;
  }
  return bytes;
}

export async function run() {
  return withBenchServer(CONFIG, async ({ url, project }) => {
    const secret = { "X-API-Key": project.keys.secret };
    const request = async (method, path, init = {}) => {
      const response = await fetch(`${url}${path}`, { method, ...init, signal: AbortSignal.timeout(120_000) });
      const body = new Uint8Array(await response.arrayBuffer());
      if (!response.ok)
        throw new Error(`${method} ${path}: HTTP ${response.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
      return body;
    };
    await request("POST", "/v1/storage/buckets", {
      headers: { ...secret, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "bench" }),
    });
    const writers = {
      ours: {
        put: (path, bytes) =>
          request("PUT", `/v1/storage/buckets/bench/objects/${path}`, {
            headers: { ...secret, "Content-Type": "application/octet-stream" },
            body: bytes,
          }),
        get: (path) => request("GET", `/v1/storage/buckets/bench/objects/${path}`, { headers: secret }),
      },
      raw: {
        put: (path, bytes) => request("PUT", `/bench/raw/${path}`, { body: bytes }),
        get: (path) => request("GET", `/bench/raw/${path}`),
      },
    };
    const timed = async (work) => {
      const started = performance.now();
      await work();
      return (performance.now() - started) / 1000;
    };

    const rows = [];
    const throughput = async (label, size, count) => {
      const bytes = pseudoRandom(size);
      const rates = { ours: { up: [], down: [] }, raw: { up: [], down: [] } };
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        for (const who of repeat % 2 === 0 ? ["ours", "raw"] : ["raw", "ours"]) {
          const writer = writers[who];
          const paths = Array.from({ length: count }, (_, i) => `${label}/${repeat}-${i}.bin`);
          const up = await timed(async () => {
            for (const path of paths) await writer.put(path, bytes);
          });
          const down = await timed(async () => {
            for (const path of paths) {
              const got = await writer.get(path);
              if (got.byteLength !== size) throw new Error(`${who} download of ${path}: ${got.byteLength} bytes`);
            }
          });
          rates[who].up.push((size * count) / MB / up);
          rates[who].down.push((size * count) / MB / down);
        }
      }
      for (const direction of ["up", "down"]) {
        const ours = median(rates.ours[direction]);
        const raw = median(rates.raw[direction]);
        rows.push({
          measure: `${direction === "up" ? "upload" : "download"} ${label} (${count} file${count > 1 ? "s" : ""})`,
          ours: round(ours),
          "hand-written": round(raw),
          unit: "MB/s",
          "ours ÷ hand": ratio(ours, raw),
        });
      }
    };
    // Warm-up: the first requests compile the worker and open the local stores.
    await writers.ours.put("warm.bin", pseudoRandom(1024));
    await writers.raw.put("warm.bin", pseudoRandom(1024));
    await throughput("1MB", MB, SMALL_FILES);
    await throughput("100MB", 100 * MB, 1);

    const latency = async (measure, calls) => {
      const samples = { ours: [], raw: [] };
      for (let i = 0; i < calls.samples; i++) {
        for (const who of i % 2 === 0 ? ["ours", "raw"] : ["raw", "ours"]) {
          const started = performance.now();
          await calls[who]();
          samples[who].push(performance.now() - started);
        }
      }
      const sorted = { ours: samples.ours.sort((a, b) => a - b), raw: samples.raw.sort((a, b) => a - b) };
      for (const p of [50, 99]) {
        const ours = percentile(sorted.ours, p);
        const raw = percentile(sorted.raw, p);
        rows.push({
          measure: `${measure} p${p}`,
          ours: round(ours),
          "hand-written": round(raw),
          unit: "ms",
          "ours ÷ hand": ratio(ours, raw),
        });
      }
    };
    const small = pseudoRandom(1024);
    await writers.ours.put("small.txt", small);
    await writers.raw.put("small.txt", small);
    await latency("GET 1 KB file", {
      samples: GET_SAMPLES,
      ours: () => writers.ours.get("small.txt"),
      raw: () => writers.raw.get("small.txt"),
    });

    await request("POST", "/bench/seed-files", {
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ project_id: project.id, bucket: "bench", count: LIST_FILES }),
    });
    const hand = `/bench/list?${new URLSearchParams({ project: project.id, bucket: "bench", limit: "100" })}`;
    await latency(`list first 100 of ${LIST_FILES.toLocaleString("en-US")} files`, {
      samples: LIST_SAMPLES,
      ours: () => request("GET", "/v1/storage/buckets/bench/objects?limit=100", { headers: secret }),
      raw: () => request("GET", hand),
    });
    await latency("list one folder (delimiter=/, 100 of 10,000)", {
      samples: LIST_SAMPLES,
      ours: () =>
        request("GET", "/v1/storage/buckets/bench/objects?prefix=dir-07/&delimiter=/&limit=100", { headers: secret }),
      raw: () => request("GET", hand),
    });
    return rows;
  });
}
