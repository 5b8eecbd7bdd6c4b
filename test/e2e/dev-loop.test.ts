// The dev loop keeps a developer's sockets: a WebSocket opened right after `wrangler dev` starts
// stays open, its heartbeats answered, for 35 s and more, while the SDK is rebuilt meanwhile (what
// `npm test`, `npm run bench` or `npm run test:browser` in a second terminal does). The rebuild used
// to rewrite public/sdk.js with the same bytes; public/ is wrangler's watched assets directory, so
// the server reloaded and dropped every socket (scripts/sdk-bundle.mjs now writes changes only).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./global-setup";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HOLD_MS = 36_000;
const HEARTBEAT_MS = 4_000;
const PING = '{"v":1,"type":"ping"}';

/** Rebuilds public/sdk.js as `npm run build` does (without touching dist/, which other tests read). */
async function rebuildBrowserBundle(): Promise<string[]> {
  const script =
    "const { writeBrowserBundle } = await import('./scripts/sdk-bundle.mjs');" +
    "console.log(JSON.stringify((await writeBrowserBundle()).written));";
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT });
  return JSON.parse(stdout);
}

async function createProject(worker: LocalWorker): Promise<{ keys: { public: string } }> {
  const response = await fetch(`${worker.baseUrl}/v1/admin/projects`, {
    method: "POST",
    headers: { authorization: `Bearer ${worker.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "dev-loop" }),
  });
  expect(response.status).toBe(201);
  return response.json();
}

/** Opens a channel socket and resolves once its `hello` arrived. */
function openChannel(worker: LocalWorker, key: string): Promise<WebSocket> {
  const url = `${worker.baseUrl.replace("http", "ws")}/v1/realtime/channels/dev-loop?client_id=dev`;
  const socket = new WebSocket(url, ["flarebase.v1", `flarebase.key.${key}`]);
  return new Promise((resolve, reject) => {
    socket.addEventListener("message", (event) => {
      if (JSON.parse(String(event.data)).type === "hello") resolve(socket);
    });
    socket.addEventListener("close", (event) => reject(new Error(`closed before hello (${event.code})`)));
  });
}

describe("the dev loop", () => {
  it("keeps a socket open, heartbeats answered, for 35 s after wrangler dev starts, across an SDK rebuild", {
    // Starting a second wrangler dev can take minutes on a machine busy with other test runs.
    timeout: 450_000,
  }, async () => {
    // Fresh bytes first, before this test's server watches public/: the rebuild below must then
    // have nothing to change, as after any `npm run build`.
    await rebuildBrowserBundle();
    const worker = await startLocalWorker();
    try {
      const project = await createProject(worker);
      const socket = await openChannel(worker, project.keys.public);
      let pongs = 0;
      let closed: string | null = null;
      socket.addEventListener("message", (event) => {
        if (String(event.data) === '{"v":1,"type":"pong"}') pongs++;
      });
      socket.addEventListener("close", (event) => {
        closed = `closed with ${event.code} after ${pongs} pongs`;
      });
      const heartbeat = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send(PING), HEARTBEAT_MS);
      try {
        await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS));
        expect(await rebuildBrowserBundle()).toEqual([]);
        await new Promise((resolve) => setTimeout(resolve, HOLD_MS - HEARTBEAT_MS));
      } finally {
        clearInterval(heartbeat);
      }
      expect(closed).toBeNull();
      expect(socket.readyState).toBe(WebSocket.OPEN);
      // One pong per ping sent, give or take the one in flight.
      expect(pongs).toBeGreaterThanOrEqual(Math.floor(HOLD_MS / HEARTBEAT_MS) - 1);
      socket.close(1000);
    } finally {
      await worker.stop();
    }
  });
});
