/**
 * Sites benchmark (`npm run bench -- sites`), side by side in one workerd run:
 * - serving: a small asset (1 KB of JS) and an HTML page from a deployed Flarebase site
 *   (`<site>--<project>.localhost`: the site row from D1, the cached manifest, the bytes from R2)
 *   against the same files from Workers static assets (the ASSETS binding of the same Worker),
 *   p50/p99 latency of sequential requests and requests/s at 8 in flight; median of rounds that
 *   alternate between the two. Page meta's injection cost is `npm run bench -- page-meta`.
 * - deploying with the real CLI (dist/cli/flarebase.js): a 5,000-file site, then a redeploy with
 *   50 files changed: time, files and bytes uploaded.
 * Local R2 and D1 live on disk: compare the columns, not the absolute times.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { percentile, ratio, round, withBenchServer } from "../local-server.mjs";

export const name = "sites";
export const description =
  "sites: a small asset and an HTML page served by Flarebase vs Workers static assets (p50/p99, req/s), and a 5,000-file deploy then a 50-file redeploy with the CLI";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CONFIG = "bench/sites/wrangler.toml";
const ASSETS_DIR = join(ROOT, "dist/bench-sites-assets");
const CLI = join(ROOT, "dist/cli/flarebase.js");
const ROUNDS = 3;
const SAMPLES = 100;
const THROUGHPUT_REQUESTS = 200;
const IN_FLIGHT = 8;
const DEPLOY_FILES = 5000;
const CHANGED_FILES = 50;

const ASSET_PATH = "/assets/app.3f9a1b2c.js";
const ASSET = `${"/* bench */ ".repeat(80)}export const answer = 42;\n`.slice(0, 1024);
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Bench</title><meta name="description" content="A page"></head><body>${"<p>Hello, world.</p>".repeat(60)}<script type="module" src="${ASSET_PATH}"></script></body></html>`;
const SERVED = { "/index.html": PAGE, [ASSET_PATH]: ASSET };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

/** One GET over a kept-alive socket with an explicit Host; resolves the milliseconds it took. */
function get(port, host, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ host: "127.0.0.1", port, path, agent, headers: { ...headers, Host: host } }, (res) => {
      res.resume();
      res.on("end", () =>
        res.statusCode === 200
          ? resolve(performance.now() - started)
          : reject(new Error(`GET ${host}${path}: ${res.statusCode}`)),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

async function latencies(fetchOne) {
  const times = [];
  for (let i = 0; i < SAMPLES; i++) times.push(await fetchOne());
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function throughput(fetchOne) {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < THROUGHPUT_REQUESTS) await fetchOne();
    }),
  );
  return THROUGHPUT_REQUESTS / ((performance.now() - started) / 1000);
}

function cli(args, env) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, maxBuffer: 8 << 20 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`flarebase ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/** A deploy with the CLI: its wall time and what its summary says it uploaded. */
async function deploy(dir, site, env) {
  const started = performance.now();
  const out = await cli(["deploy", dir, "--site", site], env);
  const seconds = (performance.now() - started) / 1000;
  const match = /(\d+) file\(s\) uploaded \(([^)]+)\), (\d+) reused/.exec(out);
  if (!match) throw new Error(`unexpected deploy output: ${out}`);
  return { seconds, uploaded: Number(match[1]), bytes: match[2], reused: Number(match[3]) };
}

export async function run() {
  await rm(ASSETS_DIR, { recursive: true, force: true });
  for (const [path, content] of Object.entries(SERVED)) {
    await mkdir(dirname(join(ASSETS_DIR, path)), { recursive: true });
    await writeFile(join(ASSETS_DIR, path), content);
  }
  return withBenchServer(CONFIG, async ({ url, project }) => {
    const port = Number(new URL(url).port);
    const env = { FLAREBASE_URL: url, FLAREBASE_SECRET_KEY: project.keys.secret };
    await deploy(ASSETS_DIR, "www", env);
    const siteHost = `www--${project.id}.localhost:${port}`;
    const apiHost = `127.0.0.1:${port}`;
    const kinds = [
      {
        kind: "small asset (1 KB JS)",
        ours: () => get(port, siteHost, ASSET_PATH),
        base: () => get(port, apiHost, `/baseline${ASSET_PATH}`),
      },
      {
        kind: "HTML page (2 KB)",
        ours: () => get(port, siteHost, "/", { Accept: "text/html" }),
        // Static assets answer /index.html with a redirect to /, its canonical URL.
        base: () => get(port, apiHost, "/baseline/", { Accept: "text/html" }),
      },
    ];
    const rows = [];
    for (const { kind, ours, base } of kinds) {
      for (let i = 0; i < 20; i++) await Promise.all([ours(), base()]); // warm both
      const figures = { ours: [], base: [] };
      for (let round_ = 0; round_ < ROUNDS; round_++) {
        for (const [who, fetchOne] of [
          ["ours", ours],
          ["base", base],
        ]) {
          figures[who].push({ ...(await latencies(fetchOne)), rps: await throughput(fetchOne) });
        }
      }
      const summary = (list) => ({
        p50: median(list.map((f) => f.p50)),
        p99: median(list.map((f) => f.p99)),
        rps: median(list.map((f) => f.rps)),
      });
      const o = summary(figures.ours);
      const b = summary(figures.base);
      rows.push({
        measure: kind,
        "flarebase p50 ms": round(o.p50, 2),
        "assets p50 ms": round(b.p50, 2),
        "p50 ratio": ratio(o.p50, b.p50),
        "flarebase p99 ms": round(o.p99, 2),
        "assets p99 ms": round(b.p99, 2),
        "flarebase req/s": Math.round(o.rps),
        "assets req/s": Math.round(b.rps),
      });
    }
    rows.push({
      measure: "HTML with page meta injection",
      "flarebase p50 ms": "npm run bench -- page-meta",
      "assets p50 ms": "",
      "p50 ratio": "",
      "flarebase p99 ms": "",
      "assets p99 ms": "",
      "flarebase req/s": "",
      "assets req/s": "",
    });

    const dir = await mkdtemp(join(tmpdir(), "flarebase-bench-site-"));
    try {
      for (let i = 0; i < DEPLOY_FILES; i++) {
        const path = join(dir, "assets", String(i % 50), `chunk-${i}.js`);
        if (i % 50 === i) await mkdir(dirname(path), { recursive: true });
        await writeFile(path, `export const chunk${i} = "${"x".repeat(200 + (i % 300))}";\n`);
      }
      await writeFile(join(dir, "index.html"), PAGE);
      const first = await deploy(dir, "big", env);
      for (let i = 0; i < CHANGED_FILES; i++) {
        await writeFile(join(dir, "assets", String(i % 50), `chunk-${i}.js`), `export const chunk${i} = "changed";\n`);
      }
      const second = await deploy(dir, "big", env);
      const deployRow = (measure, run) => ({
        measure,
        "flarebase p50 ms": `${round(run.seconds, 2)} s`,
        "assets p50 ms": `${run.uploaded} uploaded (${run.bytes})`,
        "p50 ratio": `${run.reused} reused`,
        "flarebase p99 ms": "",
        "assets p99 ms": "",
        "flarebase req/s": "",
        "assets req/s": "",
      });
      rows.push(deployRow(`deploy ${DEPLOY_FILES + 1} files`, first));
      rows.push({
        ...deployRow(`redeploy, ${CHANGED_FILES} changed`, second),
        "flarebase p99 ms": `${ratio(second.seconds, first.seconds)} of the first`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    agent.destroy();
    return rows;
  });
}
