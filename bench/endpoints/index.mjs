/**
 * The endpoint proxy (`npm run bench -- endpoints`): request latency, MB/s on a large body and an
 * event stream's time to first event, straight to a local upstream and through the proxy, side by
 * side in one run. Targets: the proxy adds under 2 ms at p50, and its first event comes within
 * 5 ms of the direct one.
 *
 * The upstream is test/upstream/server.mjs in its own Node process (so it does not share this
 * process's event loop with the client); the Worker is the real one (wrangler.toml) under a local
 * `wrangler dev`. Both are on loopback, so the figures are the proxy's own cost on this machine,
 * not a deployed round trip. Each path is a target (./targets.mjs, ./tunnel-target.mjs: the real
 * `flarebase tunnel` CLI in its own process) and one entry in TARGETS below. Targets: the proxy adds
 * under 2 ms at p50; the tunnel keeps at least half the proxy's MB/s.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/local-worker.mjs";
import { ratio, round, withBenchServer } from "../local-server.mjs";
import { latency, throughput, timeToFirstEvent } from "./measure.mjs";
import { directTarget, proxyTarget } from "./targets.mjs";
import { tunnelTarget } from "./tunnel-target.mjs";

export const name = "endpoints";
export const description =
  "endpoint proxy: request p50/p99, MB/s on 50 MB, SSE time to first event, direct to a local upstream vs through the proxy vs through the tunnel (local)";

const UPSTREAM = fileURLToPath(new URL("../../test/upstream/server.mjs", import.meta.url));
const SETTINGS = {
  latency: { requests: 200, rounds: 5 },
  throughput: { bytes: 50 * 1024 * 1024, rounds: 3 },
  firstEvent: { samples: 15 },
};

/** How each path is reached: name → (server, upstreamUrl) => target. */
const TARGETS = [
  async (_server, upstreamUrl) => directTarget(upstreamUrl),
  (server, upstreamUrl) => proxyTarget(server, "bench", upstreamUrl),
  (server, upstreamUrl) => tunnelTarget(server, "bench-tunnel", upstreamUrl),
];

/** The upstream in a child process, on a free port. */
async function startUpstreamProcess() {
  const port = await freePort();
  const child = spawn(process.execPath, [UPSTREAM, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the upstream exited (${code})`)));
    child.stdout.on("data", (chunk) => {
      if (String(chunk).includes("listening")) resolve();
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

export async function run() {
  const upstream = await startUpstreamProcess();
  try {
    return await withBenchServer("wrangler.toml", async (server) => {
      const targets = [];
      try {
        for (const make of TARGETS) targets.push(await make(server, upstream.url));
        // Warm up every path (connections, the Worker's first request) outside the figures.
        for (const target of targets) await latency(target, { requests: 20, rounds: 1 });

        const figures = [];
        for (const target of targets) {
          figures.push({
            target,
            latency: await latency(target, SETTINGS.latency),
            mbPerSecond: await throughput(target, SETTINGS.throughput),
            firstEventMs: await timeToFirstEvent(target, SETTINGS.firstEvent),
          });
        }
        const [direct, proxy] = figures;
        return figures.map(({ target, latency: { p50, p99 }, mbPerSecond, firstEventMs }) => ({
          path: target.name,
          "p50 ms": round(p50, 2),
          "p99 ms": round(p99, 2),
          "p50 added ms": round(p50 - direct.latency.p50, 2),
          "MB/s (50 MiB)": round(mbPerSecond),
          "÷ direct MB/s": ratio(mbPerSecond, direct.mbPerSecond),
          "÷ proxy MB/s": ratio(mbPerSecond, proxy.mbPerSecond),
          "first event ms": round(firstEventMs, 2),
          "first event added ms": round(firstEventMs - direct.firstEventMs, 2),
        }));
      } finally {
        // The tunnel's CLI is a process of its own: it must not outlive the run.
        for (const target of targets) target.stop?.();
      }
    });
  } finally {
    upstream.stop();
  }
}
