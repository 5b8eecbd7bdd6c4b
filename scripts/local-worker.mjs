/**
 * Runs the real Worker locally with `wrangler dev`, for the scripts that need one outside
 * vitest: `npm run dev`, the browser smoke test and the benchmarks.
 *
 * Wrangler runs on the Node that runs the caller (`npm run` puts the project's pinned Node 22
 * first on PATH) and in its own process group, so stopping it also stops the workerd
 * processes it spawned, even if wrangler itself no longer answers.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The repository root (wrangler.toml lives here). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

const WRANGLER = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/** How long `stop()` waits for a clean exit after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 5_000;

/**
 * A TCP port that was free a moment ago on 127.0.0.1.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A random URL-safe secret, e.g. for ADMIN_TOKEN. */
export function randomToken(bytes = 24) {
  return randomBytes(bytes).toString("base64url");
}

/**
 * Runs one wrangler command to completion. stdin is closed, so wrangler treats the run as
 * non-interactive and answers its own confirmation prompts (e.g. `d1 migrations apply`).
 *
 * @param {string[]} args wrangler arguments, e.g. `["d1", "migrations", "apply", "DB", "--local"]`
 * @param {{ quiet?: boolean, env?: NodeJS.ProcessEnv }} [options] `quiet` buffers the output and
 *   prints it only if the command fails.
 * @returns {Promise<void>}
 */
export function runWrangler(args, { quiet = false, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", quiet ? "pipe" : "inherit", quiet ? "pipe" : "inherit"],
    });
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) return resolve();
      if (quiet) process.stderr.write(output);
      reject(new Error(`wrangler ${args.join(" ")} failed (${signal ?? `exit code ${code}`}).`));
    });
  });
}

/**
 * @typedef {object} LocalWorker
 * @property {string} url base URL, e.g. `http://127.0.0.1:8787`
 * @property {import("node:child_process").ChildProcess} child the wrangler process
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited settles when wrangler exits
 * @property {() => Promise<void>} stop SIGTERM to the whole process group, SIGKILL after a grace period
 */

/**
 * Starts `wrangler dev` in the background. It is not ready yet: await {@link waitForHealth}.
 *
 * @param {object} options
 * @param {number} options.port
 * @param {string} [options.config] a wrangler config other than the project's `wrangler.toml`
 * @param {string} [options.ip] address to listen on; the URL uses it too (default `127.0.0.1`)
 * @param {number | null} [options.inspectorPort] defaults to a free port, so parallel runs do not
 *   clash; `null` leaves the choice to wrangler
 * @param {string} [options.persistTo] local D1/R2/DO state directory (default `.wrangler/state`)
 * @param {Record<string, string>} [options.vars] passed as `--var NAME:value`; they override `.dev.vars`
 * @param {"inherit" | "pipe" | "ignore"} [options.stdio] `pipe` to read `child.stdout` / `child.stderr` yourself
 * @param {NodeJS.ProcessEnv} [options.env]
 * @returns {Promise<LocalWorker>}
 *
 * @example
 * const worker = await startWorker({ port: await freePort(), vars: { ADMIN_TOKEN: "t" } });
 * await waitForHealth(worker);
 * await worker.stop();
 */
export async function startWorker({
  port,
  config,
  ip = "127.0.0.1",
  inspectorPort,
  persistTo,
  vars = {},
  stdio = "inherit",
  env = process.env,
}) {
  const args = [WRANGLER, "dev", "--port", String(port), "--ip", ip, "--show-interactive-dev-session=false"];
  if (config) args.push("-c", config);
  if (inspectorPort !== null) args.push("--inspector-port", String(inspectorPort ?? (await freePort())));
  if (persistTo) args.push("--persist-to", persistTo);
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);

  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", stdio, stdio], detached: true });
  /** @type {LocalWorker["exited"]} */
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.once("error", () => {});

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child, "SIGTERM");
    const timer = setTimeout(() => signalGroup(child, "SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    // wrangler is gone; make sure nothing it started (workerd) outlives it.
    signalGroup(child, "SIGKILL");
  };

  const host = ip.includes(":") ? `[${ip}]` : ip;
  return { url: `http://${host}:${port}`, child, exited, stop };
}

/** Signals the child's whole process group; quiet when it is already gone. */
function signalGroup(
  /** @type {import("node:child_process").ChildProcess} */ child,
  /** @type {NodeJS.Signals} */ signal,
) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group has already exited.
  }
}

/**
 * Polls `GET /health` until it answers 200, the worker exits, or the timeout passes.
 *
 * @param {LocalWorker} worker
 * @param {{ timeoutMs?: number, intervalMs?: number }} [options]
 * @returns {Promise<unknown>} the health body
 * @throws {Error} when wrangler exits first or the deadline passes
 */
export async function waitForHealth(worker, { timeoutMs = 60_000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let exit = null;
  worker.exited.then((result) => {
    exit = result;
  });
  let lastError = "no answer yet";
  while (Date.now() < deadline) {
    if (exit)
      throw new Error(`wrangler dev exited before it was ready (${JSON.stringify(exit)}); see its output above.`);
    try {
      const response = await fetch(`${worker.url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return await response.json();
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? (error.cause?.code ?? error.message) : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${worker.url}/health did not answer 200 within ${timeoutMs} ms (last: ${lastError}).`);
}

/**
 * Calls the admin API and returns `{ status, body }`; `body` is the parsed JSON or null.
 *
 * @param {string} url worker base URL
 * @param {string} adminToken
 * @param {string} method
 * @param {string} path e.g. `/v1/admin/projects`
 * @param {unknown} [body]
 */
export async function adminRequest(url, adminToken, method, path, body) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
