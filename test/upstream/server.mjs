// A real HTTP upstream for the endpoint proxy's tests, e2e and benchmarks (and the tunnel's): a
// small Node server with the behaviours a model server has (JSON, chunked, SSE with delays, a
// slow first byte, large streamed bodies, errors, a ComfyUI-like job API) and ways for a test to
// see what arrived (the headers echoed, what happened to each request).
//
// Routes (any method unless said; `?id=<x>` on any route records what happened to that request,
// readable at GET /_events/<x>):
//   /echo/...                 JSON: method, path, query, headers, body (text), body_bytes, body_sha256
//   /json                     {"ok":true}
//   /status/<code>            that status, JSON body {"status":<code>}
//   /chunked?chunks=&delay=   chunks "chunk <i>\n", `delay` ms apart (Transfer-Encoding: chunked)
//   /sse?events=&delay=       text/event-stream, `events` events `delay` ms apart, then "event: done"
//   /slow?delay=              waits `delay` ms, then {"slow":true}
//   /bytes?size=              `size` bytes of the pattern byteAt(i) = i % 251, streamed in 64 KiB pieces
//   /stall?bytes=             sends `bytes` bytes, then nothing (never ends)
//   /hang                     never answers
//   /upload                   reads the body: {"bytes", "sha256", "content_length", "transfer_encoding"}
//   /cookies                  answers with Set-Cookie and hop-by-hop headers (to see them stripped)
//   /flaky/<key>?fail=N       the first N calls per key answer 503, then {"ok":true,"calls":n}
//   POST /prompt              ComfyUI-like: {"prompt_id"}; the job is done after ?steps= polls (default 2)
//   GET /history/<prompt_id>  {} while running, then {"<id>":{"outputs":{"9":{"images":[{"filename"}]}}}}
//   GET /view?filename=       the result image (PNG bytes)
//   POST /v1/chat/completions vLLM-like: with "stream": true, SSE chunks `delay` ms apart, then [DONE]
//   GET /_events/<id>         what happened to request <id>: ["received", "finished" | "aborted", …]
import { createHash } from "node:crypto";
import { createServer } from "node:http";

/** The byte at offset `i` of every /bytes body: a pattern long enough to catch a shifted chunk. */
export const byteAt = (i) => i % 251;

/** A 1×1 PNG: what /view serves. */
export const RESULT_PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
  "hex",
);

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

const json = (res, status, value, headers = {}) => {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
};

const intParam = (url, name, fallback) => {
  const value = Number(url.searchParams.get(name));
  return Number.isFinite(value) && url.searchParams.has(name) ? value : fallback;
};

async function readBody(req) {
  const hash = createHash("sha256");
  const chunks = [];
  let bytes = 0;
  for await (const chunk of req) {
    hash.update(chunk);
    bytes += chunk.length;
    if (bytes <= 1024 * 1024) chunks.push(chunk);
  }
  return { bytes, sha256: hash.digest("hex"), text: Buffer.concat(chunks).toString("utf8") };
}

/**
 * Starts the upstream on 127.0.0.1 (port 0: a free one).
 *
 * @returns {Promise<{ url: string, port: number, events(id: string): string[], close(): Promise<void> }>}
 */
export async function startUpstream({ port = 0 } = {}) {
  /** @type {Map<string, string[]>} */
  const events = new Map();
  const flaky = new Map();
  /** @type {Map<string, { polls: number, steps: number }>} */
  const jobs = new Map();
  let nextJob = 1;
  const sockets = new Set();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://upstream.test");
    const id = url.searchParams.get("id");
    const record = (event) => {
      if (!id) return;
      events.set(id, [...(events.get(id) ?? []), event]);
    };
    record("received");
    // "aborted": the caller (the proxy) went away before this response finished.
    const gone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) {
        record("aborted");
        gone.abort();
      } else record("finished");
    });
    const path = url.pathname;
    try {
      if (path.startsWith("/_events/")) return json(res, 200, events.get(decodeURIComponent(path.slice(9))) ?? []);
      if (path === "/json") return json(res, 200, { ok: true });
      if (path.startsWith("/echo")) {
        const body = await readBody(req);
        return json(res, 200, {
          method: req.method,
          path,
          query: url.search,
          headers: req.headers,
          body: body.text,
          body_bytes: body.bytes,
          body_sha256: body.sha256,
        });
      }
      if (path.startsWith("/status/")) {
        const status = Number(path.slice(8)) || 500;
        return json(res, status, { status }, status === 429 ? { "retry-after": "1" } : {});
      }
      if (path === "/chunked") {
        const chunks = intParam(url, "chunks", 3);
        const delay = intParam(url, "delay", 10);
        res.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < chunks && !gone.signal.aborted; i++) {
          res.write(`chunk ${i}\n`);
          await sleep(delay, gone.signal);
        }
        return res.end();
      }
      if (path === "/sse") {
        const count = intParam(url, "events", 3);
        const delay = intParam(url, "delay", 100);
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.flushHeaders();
        for (let i = 0; i < count && !gone.signal.aborted; i++) {
          res.write(`id: ${i}\ndata: {"n":${i},"at":${Date.now()}}\n\n`);
          await sleep(delay, gone.signal);
        }
        if (gone.signal.aborted) return;
        record("sse-ended");
        res.write("event: done\ndata: {}\n\n");
        return res.end();
      }
      if (path === "/slow") {
        await sleep(intParam(url, "delay", 1000), gone.signal);
        return json(res, 200, { slow: true });
      }
      if (path === "/bytes") return await sendBytes(res, intParam(url, "size", 1024), gone.signal);
      if (path === "/stall") {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.write(Buffer.alloc(intParam(url, "bytes", 16), 1));
        return; // never ends; the socket closes when the caller goes
      }
      if (path === "/hang") return; // never answers
      if (path === "/upload") {
        const body = await readBody(req);
        return json(res, 200, {
          bytes: body.bytes,
          sha256: body.sha256,
          content_length: req.headers["content-length"] ?? null,
          transfer_encoding: req.headers["transfer-encoding"] ?? null,
        });
      }
      if (path === "/cookies") {
        res.writeHead(200, {
          "content-type": "text/plain",
          "set-cookie": "session=upstream; Path=/",
          "keep-alive": "timeout=5",
          "x-upstream": "kept",
          "access-control-allow-origin": "https://evil.example",
        });
        return res.end("cookies");
      }
      if (path.startsWith("/flaky/")) {
        const key = path.slice(7);
        const calls = (flaky.get(key) ?? 0) + 1;
        flaky.set(key, calls);
        if (calls <= intParam(url, "fail", 2)) return json(res, 503, { error: "warming up", calls });
        return json(res, 200, { ok: true, calls });
      }
      if (path === "/prompt" && req.method === "POST") {
        const body = await readBody(req);
        const promptId = `job-${nextJob++}`;
        let prompt = null;
        try {
          prompt = JSON.parse(body.text).prompt ?? null;
        } catch {}
        if (!prompt) return json(res, 400, { error: { type: "prompt_no_outputs", message: "No prompt" } });
        jobs.set(promptId, { polls: 0, steps: intParam(url, "steps", 2) });
        return json(res, 200, { prompt_id: promptId, number: nextJob - 1, node_errors: {} });
      }
      if (path.startsWith("/history/")) {
        const promptId = decodeURIComponent(path.slice(9));
        const job = jobs.get(promptId);
        if (!job) return json(res, 200, {});
        job.polls++;
        if (job.polls < job.steps) return json(res, 200, {});
        return json(res, 200, {
          [promptId]: {
            status: { status_str: "success", completed: true },
            outputs: { 9: { images: [{ filename: `${promptId}.png`, subfolder: "", type: "output" }] } },
          },
        });
      }
      if (path === "/view") {
        res.writeHead(200, { "content-type": "image/png", "content-length": RESULT_PNG.length });
        return res.end(RESULT_PNG);
      }
      if (path === "/v1/chat/completions" && req.method === "POST") {
        const body = await readBody(req);
        const request = JSON.parse(body.text || "{}");
        const words = ["Hello", " from", " your", " local", " model", "."];
        if (!request.stream) {
          return json(res, 200, { choices: [{ index: 0, message: { role: "assistant", content: words.join("") } }] });
        }
        const delay = intParam(url, "delay", 20);
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.flushHeaders();
        for (const word of words) {
          if (gone.signal.aborted) return;
          res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: word } }] })}\n\n`);
          await sleep(delay, gone.signal);
        }
        res.write("data: [DONE]\n\n");
        return res.end();
      }
      return json(res, 404, { error: "no such upstream route", path });
    } catch (error) {
      if (!res.headersSent) json(res, 500, { error: String(error) });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    events: (requestId) => events.get(requestId) ?? [],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Streams `size` pattern bytes, honouring backpressure, in 64 KiB pieces. */
async function sendBytes(res, size, signal) {
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
  const PIECE = 64 * 1024;
  const template = Buffer.alloc(PIECE + 251);
  for (let i = 0; i < template.length; i++) template[i] = byteAt(i);
  for (let offset = 0; offset < size && !signal.aborted; offset += PIECE) {
    const length = Math.min(PIECE, size - offset);
    const start = offset % 251;
    if (!res.write(template.subarray(start, start + length))) {
      await new Promise((resolve) => res.once("drain", resolve));
    }
  }
  res.end();
}

// `node test/upstream/server.mjs [port]`: run it on its own (for a manual try or a benchmark).
if (import.meta.url === `file://${process.argv[1]}`) {
  const upstream = await startUpstream({ port: Number(process.argv[2] ?? 0) });
  console.log(`upstream listening on ${upstream.url}`);
}
