// The real `flarebase tunnel` CLI (dist/cli/flarebase.js, built by `npm run build`) as a child
// process of the e2e tests, with its output kept for assertions.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { baseUrl } from "./helpers";

const CLI = fileURLToPath(new URL("../../dist/cli/flarebase.js", import.meta.url));
const WAIT_MS = 20_000;

export interface RunningCli {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once its output matches `pattern` (waits up to 20 s). */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves with its exit code once it exits. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `flarebase tunnel <port> --label <label>` against the worker under test. */
export function startCli(label: string, port: number, secretKey: string, extra: string[] = []): RunningCli {
  const child = spawn(
    process.execPath,
    [CLI, "tunnel", String(port), "--label", label, "--host", "127.0.0.1", "--url", baseUrl(), ...extra],
    { env: { ...process.env, FLAREBASE_SECRET_KEY: secretKey }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    kill: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`the CLI never printed ${pattern}; it printed:\n${output}`));
        }, WAIT_MS);
        listeners.add(check);
        check();
      }),
  };
}

/** Registers `label` as a tunnel endpoint of the project. */
export async function registerTunnelEndpoint(secretKey: string, label: string): Promise<void> {
  const response = await fetch(`${baseUrl()}/v1/endpoints`, {
    method: "POST",
    headers: { "X-API-Key": secretKey, "Content-Type": "application/json" },
    body: JSON.stringify({ label, target: { kind: "tunnel" } }),
  });
  if (response.status !== 201) throw new Error(`register ${label}: ${response.status} ${await response.text()}`);
}

/** Calls `path` of the endpoint through the proxy with the public key. */
export function proxy(label: string, path: string, publicKey: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("X-API-Key", publicKey);
  return fetch(`${baseUrl()}/v1/proxy/${label}${path}`, { ...init, headers });
}

export const uniqueLabel = (prefix = "e2e") => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
