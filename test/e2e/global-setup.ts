// The e2e harness: one real `wrangler dev` (workerd, local D1/R2/DOs) per test run, on a free port,
// with its state in a fresh temp dir and a random admin token. Tests reach it over real HTTP
// through `inject("baseUrl")` and `inject("adminToken")`.
//
// Set FLAREBASE_E2E_LOG=1 to stream the server's output while the tests run.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The worker under test, e.g. `http://127.0.0.1:41234` (no trailing slash). */
    baseUrl: string;
    /** The ADMIN_TOKEN the worker was started with. */
    adminToken: string;
  }
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
/** A cold start bundles the worker and boots workerd: a few seconds here, more on a busy CI box. */
const STARTUP_TIMEOUT_MS = 180_000;
const MIGRATIONS_TIMEOUT_MS = 180_000;
/** How long wrangler gets to stop workerd cleanly before its whole process group is killed. */
const STOP_GRACE_MS = 5_000;

export default async function setup(project: TestProject) {
  const worker = await startLocalWorker();
  project.provide("baseUrl", worker.baseUrl);
  project.provide("adminToken", worker.adminToken);
  return worker.stop;
}

/** A running local worker: the e2e server, or one a test starts for itself (dev-loop.test.ts). */
export interface LocalWorker {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly baseUrl: string;
  /** The ADMIN_TOKEN it was started with. */
  readonly adminToken: string;
  /** Stops wrangler and its workerd, and deletes the state directory. */
  stop(): Promise<void>;
}

/**
 * Starts `wrangler dev` on the project's wrangler.toml (the tree `npm run dev` watches) on a free
 * port, with fresh local state in a temp dir (migrations applied) and a random admin token, and
 * waits until it answers GET /health.
 */
export async function startLocalWorker(): Promise<LocalWorker> {
  const stateDir = await mkdtemp(join(tmpdir(), "flarebase-e2e-"));
  const adminToken = randomBytes(24).toString("base64url");
  const port = await freePort();
  const inspectorPort = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    CI: "1", // no prompts, no interactive dev session
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_LOG_PATH: join(stateDir, "logs"),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };

  let server: Server | undefined;
  try {
    await runToCompletion(
      ["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir],
      env,
      MIGRATIONS_TIMEOUT_MS,
    );
    server = startServer(
      [
        "dev",
        "--port",
        String(port),
        "--ip",
        "127.0.0.1",
        "--inspector-port",
        String(inspectorPort),
        "--persist-to",
        stateDir,
        // Explicit, so a local .dev.vars (absent in CI) never decides the token: --var wins over it.
        "--var",
        `ADMIN_TOKEN:${adminToken}`,
        // The endpoint tests' upstream is a real server on loopback (test/upstream/server.mjs).
        "--var",
        "ALLOW_PRIVATE_UPSTREAMS:true",
        "--var",
        `AUTH_PEPPER:${randomBytes(32).toString("base64url")}`,
        "--show-interactive-dev-session=false",
      ],
      env,
    );
    await waitForHealth(server, baseUrl);
  } catch (error) {
    await server?.stop();
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }

  return {
    baseUrl,
    adminToken,
    async stop() {
      await server?.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

interface Server {
  readonly child: ChildProcess;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  output(): string;
  /** Resolves when the process has exited, with how it ended. */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

/** Starts wrangler in its own process group, so stopping it also stops the workerd it spawns. */
function startServer(args: string[], env: NodeJS.ProcessEnv): Server {
  const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env, detached: true, stdio: "pipe" });
  const output = captureOutput(child);
  const exited = new Promise<string>((resolve) => {
    // "close", not "exit": it comes after the last output, which error messages quote.
    child.once("close", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
    child.once("error", (error) => resolve(`spawn error: ${error.message}`));
  });
  let exitedYet = false;
  void exited.then(() => {
    exitedYet = true;
  });

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  };
  // If vitest exits without running teardown, still leave no workerd behind.
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);

  return {
    child,
    output,
    exited,
    async stop() {
      process.off("exit", onExit);
      if (!exitedYet) {
        // Only the leader: wrangler forwards SIGTERM to its CLI, which stops workerd and waits for
        // it, so nothing is left for a non-reaping init to collect as a zombie.
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
        clearTimeout(timer);
      }
      // wrangler may exit before its workerd children: whatever is left of the group goes now.
      killGroup("SIGKILL");
    },
  };
}

/** Runs one wrangler command to completion; throws with its output on failure or timeout. */
async function runToCompletion(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  const server = startServer(args, env);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    server.exited,
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs))),
  ]);
  clearTimeout(timer);
  await server.stop();
  if (outcome !== "exit code 0") {
    throw new Error(`e2e setup: \`wrangler ${args.join(" ")}\` failed (${outcome}). Its output:\n${server.output()}`);
  }
}

/**
 * Waits until GET /health answers 200, the server exits, or STARTUP_TIMEOUT_MS passes. Polling
 * is the readiness signal here: wrangler has no machine-readable "ready" event.
 */
async function waitForHealth(server: Server, baseUrl: string) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let exitReason: string | undefined;
  void server.exited.then((reason) => {
    exitReason = reason;
  });
  let lastProblem = "no answer yet";
  while (Date.now() < deadline && exitReason === undefined) {
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
      lastProblem = `GET /health answered ${response.status}: ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      lastProblem = `GET /health failed: ${(error as Error).message}`;
    }
    await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 250))]);
  }
  const why = exitReason
    ? `wrangler dev stopped (${exitReason})`
    : `${baseUrl} did not answer GET /health within ${STARTUP_TIMEOUT_MS} ms (${lastProblem})`;
  throw new Error(`e2e setup: ${why}. The server's output:\n${server.output()}`);
}

/** Keeps the tail of a child's stdout and stderr; streams them when FLAREBASE_E2E_LOG=1. */
function captureOutput(child: ChildProcess) {
  const MAX_CHARS = 16_000;
  let tail = "";
  const verbose = process.env.FLAREBASE_E2E_LOG === "1";
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    if (verbose) process.stderr.write(text);
    tail = (tail + text).slice(-MAX_CHARS);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return () =>
    tail
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour escapes of wrangler's log
      .replace(/\u001b\[[0-9;]*m/g, "")
      .replace(/\n{3,}/g, "\n\n")
      .trim() || "(no output)";
}

/** A port nobody listens on right now: the OS picks it, we release it and hand it on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
