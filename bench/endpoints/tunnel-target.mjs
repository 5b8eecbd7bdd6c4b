/**
 * The tunnel path of the endpoints benchmark: the real `flarebase tunnel` CLI (dist/cli, built by
 * `npm run bench`) on this machine, connected to the local Worker and forwarding to the same
 * upstream as the other paths. A target as ./targets.mjs describes them, plus `stop()`.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../dist/cli/flarebase.js", import.meta.url));
const ONLINE_TIMEOUT_MS = 60_000;

/** Registers `label` as a tunnel endpoint, starts the CLI for it and waits until it is online. */
export async function tunnelTarget(server, label, upstreamUrl) {
  const response = await fetch(`${server.url}/v1/endpoints`, {
    method: "POST",
    headers: { "X-API-Key": server.project.keys.secret, "Content-Type": "application/json" },
    body: JSON.stringify({ label, target: { kind: "tunnel" }, max_body_bytes: 100 * 1024 * 1024 }),
  });
  if (response.status !== 201) throw new Error(`registering the tunnel: ${response.status} ${await response.text()}`);
  const upstream = new URL(upstreamUrl);
  const child = spawn(
    process.execPath,
    [CLI, "tunnel", upstream.port, "--label", label, "--host", upstream.hostname, "--url", server.url],
    { env: { ...process.env, FLAREBASE_SECRET_KEY: server.project.keys.secret }, stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`the tunnel CLI never came online:\n${output}`)),
      ONLINE_TIMEOUT_MS,
    );
    child.once("exit", (code) => reject(new Error(`the tunnel CLI exited (${code}):\n${output}`)));
    const onData = (chunk) => {
      output += chunk;
      if (output.includes("online")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  // One line per request from here on: read and dropped, so the pipe never fills.
  child.stdout.removeAllListeners("data");
  child.stdout.resume();
  return {
    name: "tunnel",
    url: (path) => `${server.url}/v1/proxy/${label}${path}`,
    headers: { "X-API-Key": server.project.keys.public },
    stop: () => child.kill("SIGTERM"),
  };
}
