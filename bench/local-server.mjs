/**
 * The local server of a benchmark: a bench fixture worker (its own wrangler.toml, which mounts the
 * real Flarebase Worker beside the baselines it is measured against) on `wrangler dev` at
 * 127.0.0.1, with the D1 migrations applied to throwaway state and one project created.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  adminRequest,
  freePort,
  randomToken,
  runWrangler,
  startWorker,
  waitForHealth,
} from "../scripts/local-worker.mjs";

/**
 * Runs `body` against a fresh local server and always stops it and deletes its state.
 *
 * @template T
 * @param {string} config the fixture's wrangler.toml, relative to the repository root
 * @param {(server: { url: string, adminToken: string, project: { id: string, keys: { public: string, secret: string } }, pid: number }) => Promise<T>} body
 *   `pid` is wrangler's; the fixture's workerd runs as its descendant
 * @returns {Promise<T>}
 */
export async function withBenchServer(config, body) {
  const state = await mkdtemp(join(tmpdir(), "flarebase-bench-"));
  const adminToken = randomToken();
  const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
  let worker;
  let output = "";
  try {
    await runWrangler(["d1", "migrations", "apply", "DB", "--local", "-c", config, "--persist-to", state], {
      quiet: true,
      env,
    });
    worker = await startWorker({
      port: await freePort(),
      config,
      persistTo: state,
      // Private upstreams: the endpoints bench proxies to a server on loopback.
      vars: { ADMIN_TOKEN: adminToken, AUTH_PEPPER: randomToken(32), ALLOW_PRIVATE_UPSTREAMS: "true" },
      stdio: "pipe",
      env,
    });
    // Kept for the error message only; a benchmark's table is its output.
    const keep = (chunk) => {
      output = (output + chunk).slice(-4000);
    };
    worker.child.stdout?.on("data", keep);
    worker.child.stderr?.on("data", keep);
    await waitForHealth(worker);
    const created = await adminRequest(worker.url, adminToken, "POST", "/v1/admin/projects", { name: "bench" });
    if (created.status !== 201) throw new Error(`creating the bench project failed: ${JSON.stringify(created.body)}`);
    return await body({ url: worker.url, adminToken, project: created.body, pid: worker.child.pid });
  } catch (error) {
    if (output) process.stderr.write(`wrangler dev output (last 4,000 characters):\n${output}\n`);
    throw error;
  } finally {
    await worker?.stop();
    await rm(state, { recursive: true, force: true });
  }
}

/** The p-th percentile of ascending values (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Rounds to `digits` decimals. */
export const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** `a ÷ b` as a ratio cell, e.g. `1.23×`. */
export const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
