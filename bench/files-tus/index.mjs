/**
 * Resumable uploads (`npm run bench -- files-tus`): tus upload throughput by chunk size against
 * one plain PUT of the same file, and the workerd process's memory while one large file goes up
 * through tus (it must stay flat: a chunk is streamed, and only one part is held at a time).
 *
 * One local `wrangler dev` of the real Worker (wrangler.toml), local R2 and Durable Objects.
 * Requests are sent with Node's fetch, one chunk after the other, as a tus client does. Local R2
 * writes to disk and dominates the figures: they compare chunk sizes and paths with each other on
 * one machine, they are not the deployed speed. Memory is read from /proc (Linux).
 */
import { request } from "node:http";
import { ratio, round, withBenchServer } from "../local-server.mjs";
import { workerdRss } from "../process-memory.mjs";

export const name = "files-tus";
export const description =
  "tus resumable upload MiB/s by chunk size vs one plain PUT (100 MiB), and workerd RSS during 1 GiB as a plain PUT and over tus (local)";

const MIB = 1024 * 1024;
const FILE_BYTES = 100 * MIB;
/** A part-sized chunk, odd sizes that never line up with parts or blocks, and a large one. */
const CHUNK_SIZES = [5 * MIB, 7_340_033, 1_000_003, 50 * MIB];
const LARGE_FILE_BYTES = 1024 * MIB;
const LARGE_CHUNK_BYTES = 8 * MIB;
const RSS_SAMPLE_MS = 1000;

export async function run() {
  return withBenchServer("wrangler.toml", async (server) => {
    const secret = server.project.keys.secret;
    const api = (path, init = {}) =>
      fetch(`${server.url}${path}`, { ...init, headers: { "X-API-Key": secret, ...init.headers } });
    const created = await api("/v1/storage/buckets", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "bench" }),
    });
    if (created.status !== 201) throw new Error(`creating the bench bucket: ${created.status} ${await created.text()}`);
    const bytes = pseudoRandom(FILE_BYTES);

    const rows = [];
    // Warm up the Worker, the upload object class and R2 once, outside the figures.
    await tusUpload(api, "warmup.bin", bytes.subarray(0, 6 * MIB), 6 * MIB);
    const putSeconds = await timed(() =>
      retried(async () => {
        const response = await api("/v1/storage/buckets/bench/objects/plain.bin", {
          method: "PUT",
          headers: { "Content-Type": "application/octet-stream" },
          body: bytes,
        });
        if (response.status !== 201 && response.status !== 200) throw new Error(`plain PUT: ${response.status}`);
      }),
    );
    const putRate = FILE_BYTES / MIB / putSeconds;
    rows.push({
      upload: "plain PUT (one request)",
      "chunk bytes": FILE_BYTES,
      requests: 1,
      "MiB/s": round(putRate),
      "÷ PUT": ratio(putRate, putRate),
    });
    for (const chunk of CHUNK_SIZES) {
      const seconds = await timed(() => tusUpload(api, `tus-${chunk}.bin`, bytes, chunk));
      const rate = FILE_BYTES / MIB / seconds;
      rows.push({
        upload: "tus",
        "chunk bytes": chunk,
        requests: Math.ceil(FILE_BYTES / chunk) + 1,
        "MiB/s": round(rate),
        "÷ PUT": ratio(rate, putRate),
      });
    }

    // Memory: workerd's RSS while 1 GiB goes up, as one plain PUT (the baseline: what local R2
    // itself holds) and through tus in 8 MiB chunks (the same chunk bytes over and over: the
    // content does not matter, and the client stays small).
    const chunk = bytes.subarray(0, LARGE_CHUNK_BYTES);
    const large = [
      [
        "plain PUT 1 GiB",
        () => retried(() => putRepeated(server.url, secret, "large-plain.bin", chunk, LARGE_FILE_BYTES)),
        1,
      ],
      [
        "tus 1 GiB",
        () => tusUpload(api, "large-tus.bin", chunk, LARGE_CHUNK_BYTES, LARGE_FILE_BYTES),
        LARGE_FILE_BYTES / LARGE_CHUNK_BYTES + 1,
      ],
    ];
    for (const [label, upload, requests] of large) {
      const { seconds, samples } = await withRssSamples(server.pid, upload);
      const quarter = (q) => samples[Math.min(samples.length - 1, Math.floor((q * (samples.length - 1)) / 4))];
      const mb = (value) => round(value / MIB);
      rows.push({
        upload: `${label}, RSS MiB at 0/25/50/75/100 %: ${[0, 1, 2, 3, 4].map((q) => mb(quarter(q))).join(" / ")}`,
        "chunk bytes": requests === 1 ? LARGE_FILE_BYTES : LARGE_CHUNK_BYTES,
        requests,
        "MiB/s": round(LARGE_FILE_BYTES / MIB / seconds),
        "÷ PUT": ratio(LARGE_FILE_BYTES / MIB / seconds, putRate),
      });
    }
    return rows;
  });
}

/**
 * One tus upload: POST, then one PATCH per chunk. `total` larger than `bytes` repeats `bytes`
 * (its length must then be the chunk size). A failed PATCH is resumed as a tus client would: ask
 * the offset (HEAD) and go on from there (wrangler dev restarts the worker when a source file
 * changes, which cuts the request in flight).
 */
async function tusUpload(api, path, bytes, chunkSize, total = bytes.length) {
  const tus = { "Tus-Resumable": "1.0.0" };
  const metadata = `path ${Buffer.from(path).toString("base64")}`;
  const created = await api("/v1/storage/buckets/bench/uploads", {
    method: "POST",
    headers: { ...tus, "Upload-Length": String(total), "Upload-Metadata": metadata },
  });
  if (created.status !== 201) throw new Error(`tus create: ${created.status} ${await created.text()}`);
  const location = new URL(created.headers.get("Location")).pathname;
  let failures = 0;
  for (let offset = 0; offset < total; ) {
    const size = Math.min(chunkSize - (offset % chunkSize), total - offset);
    const start = total === bytes.length ? offset : offset % chunkSize;
    const response = await api(location, {
      method: "PATCH",
      headers: { ...tus, "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) },
      body: bytes.subarray(start, start + size),
    }).catch((error) => error);
    if (response instanceof Response && response.status === 204) {
      offset += size;
      continue;
    }
    if (++failures > 5) throw new Error(`tus PATCH at ${offset}: ${response.status ?? response} (5 retries)`);
    const head = await api(location, { method: "HEAD", headers: tus });
    offset = Number(head.headers.get("Upload-Offset"));
  }
}

/**
 * Runs `fn` again (up to 3 times) when it fails: wrangler dev restarts the worker when a source
 * file changes, which cuts a plain PUT in flight (a tus upload resumes by itself instead).
 */
async function retried(fn) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** Runs `fn` while sampling workerd's resident set size every RSS_SAMPLE_MS. */
async function withRssSamples(pid, fn) {
  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await workerdRss(pid));
      await new Promise((resolve) => setTimeout(resolve, RSS_SAMPLE_MS));
    }
  })();
  const seconds = await timed(fn);
  sampling = false;
  await sampler;
  return { seconds, samples };
}

/** One plain PUT of `total` bytes made of `chunk` repeated, streamed with a Content-Length. */
function putRepeated(url, secret, path, chunk, total) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/storage/buckets/bench/objects/${path}`, {
      method: "PUT",
      headers: { "X-API-Key": secret, "Content-Type": "application/octet-stream", "Content-Length": String(total) },
    });
    req.on("response", (response) => {
      response.resume();
      response.on("end", () =>
        response.statusCode === 201 || response.statusCode === 200
          ? resolve()
          : reject(new Error(`plain PUT: ${response.statusCode}`)),
      );
    });
    req.on("error", reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

async function timed(fn) {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

function pseudoRandom(size) {
  const bytes = new Uint8Array(size);
  let x = 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}
