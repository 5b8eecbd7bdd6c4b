/**
 * Channel fan-out benchmark (`npm run bench -- channels`): one publisher, 50 and 200 subscribers,
 * against three servers in the same local workerd (bench/channels/wrangler.toml):
 * - Flarebase channels, with storage, sequence numbers, dedup and frame validation on;
 * - a minimal partyserver broadcast room;
 * - a bare Durable Object broadcast loop.
 * Reports deliveries per second under a burst, p50/p99 publish-to-delivery latency at a paced
 * rate (and under the burst), and Flarebase's ratios to both baselines. Loopback only, bounded
 * in time (about a minute).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { adminRequest, freePort, randomToken, runWrangler, waitForHealth } from "../../scripts/local-worker.mjs";
import { measure } from "./load.mjs";

export const name = "channels";
export const description =
  "channel fan-out, 1 publisher → N subscribers: Flarebase (stored, sequenced, deduped) vs partyserver vs a bare DO loop, same local workerd";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CONFIG = "bench/channels/wrangler.toml";
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/**
 * Per subscriber count: the burst size (throughput) and the paced phase (latency). The paced rate
 * offers the same 5,000 deliveries per second at both sizes, well under every server's capacity.
 */
const PLANS = [
  { subscribers: 50, burst: 2000, paced: 300, rate: 100 },
  { subscribers: 200, burst: 500, paced: 75, rate: 25 },
];

export async function run() {
  const state = await mkdtemp(join(tmpdir(), "flarebase-bench-channels-"));
  const adminToken = randomToken();
  const port = await freePort();
  const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
  let server;
  try {
    await runWrangler(["d1", "migrations", "apply", "DB", "--local", "-c", CONFIG, "--persist-to", state], {
      quiet: true,
      env,
    });
    server = startServer(port, await freePort(), state, adminToken, env);
    await waitForHealth(server);
    const project = await adminRequest(server.url, adminToken, "POST", "/v1/admin/projects", { name: "bench" });
    if (project.status !== 201) throw new Error(`creating the bench project failed: ${JSON.stringify(project.body)}`);
    const targets = makeTargets(server.url.replace("http://", "ws://"), project.body.keys);

    const rows = [];
    for (const plan of PLANS) {
      const results = {};
      for (const target of targets) results[target.label] = await measure(target, plan);
      const fb = results.flarebase;
      for (const target of targets) {
        const r = results[target.label];
        rows.push({
          subscribers: plan.subscribers,
          server: target.label,
          "deliveries/s": r.deliveriesPerSecond,
          "p50 ms": r.p50,
          "p99 ms": r.p99,
          "burst p50 ms": r.burstP50,
          "burst p99 ms": r.burstP99,
          "flarebase ÷ this":
            target.label === "flarebase" ? "1.00×" : `${(fb.deliveriesPerSecond / r.deliveriesPerSecond).toFixed(2)}×`,
        });
      }
    }
    return rows;
  } finally {
    await server?.stop();
    await rm(state, { recursive: true, force: true });
  }
}

/** The three servers and how each one's clients connect, publish and read deliveries. */
function makeTargets(base, keys) {
  const plain = (label, path) => ({
    label,
    waitsForHello: false,
    connect: (room) => ({ url: `${base}${path}${room}` }),
    frame: (i, t) => `{"i":${i},"t":${t}}`,
    deliveries: (text) => [JSON.parse(text)],
  });
  return [
    {
      label: "flarebase",
      waitsForHello: true,
      // The publisher is a server (secret key in a header); subscribers use the public key like
      // browsers do (subprotocol).
      connect: (room, role) =>
        role === "pub"
          ? { url: `${base}/v1/realtime/channels/${room}`, options: { headers: { "X-API-Key": keys.secret } } }
          : {
              url: `${base}/v1/realtime/channels/${room}`,
              protocols: ["flarebase.v1", `flarebase.key.${keys.public}`],
            },
      frame: (i, t) => `{"v":1,"type":"publish","ref":${i},"id":"m${i}","name":"b","data":{"i":${i},"t":${t}}}`,
      deliveries: (text) => {
        const frame = JSON.parse(text);
        return frame.type === "messages" ? frame.items.map((item) => item.data) : [];
      },
    },
    plain("partyserver", "/parties/party-room/"),
    plain("bare DO", "/bare/"),
  ];
}

function startServer(port, inspectorPort, state, adminToken, env) {
  const args = [WRANGLER, "dev", "-c", CONFIG, "--port", String(port), "--ip", "127.0.0.1"];
  args.push("--persist-to", state, "--var", `ADMIN_TOKEN:${adminToken}`, "--show-interactive-dev-session=false");
  args.push("--inspector-port", String(inspectorPort));
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, output })));
  const kill = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    async stop() {
      kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      kill("SIGKILL");
    },
  };
}
