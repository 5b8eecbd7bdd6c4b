/**
 * Memory per idle connection (`npm run bench -- channel-memory`): how much more the workerd
 * process holds for each open, idle WebSocket, Flarebase channels vs a minimal partyserver room
 * vs a bare Durable Object loop (DESIGN.md budget: no more than the bare loop plus a few percent).
 *
 * Each server runs in a fresh workerd (bench/channels/wrangler.toml), so nothing one target
 * allocated is counted for the next. Per target: one connection to each of ROOMS objects (so the
 * objects themselves exist and are not counted), a pause, the resident set size of workerd, then
 * CONNECTIONS more idle connections spread over the same objects, a pause, the RSS again. The
 * difference divided by CONNECTIONS is the cost of one idle connection. RSS is coarse (the
 * allocator and the garbage collector keep some slack), so the figures are rounded to 0.1 KB and
 * are meaningful as ratios. Linux only (reads /proc); loopback only.
 */
import { ratio, round, withBenchServer } from "../local-server.mjs";
import { workerdRss } from "../process-memory.mjs";
import { open } from "./load.mjs";
import { benchTargets, CHANNELS_CONFIG } from "./targets.mjs";

export const name = "channel-memory";
export const description =
  "workerd memory per idle WebSocket: Flarebase channel vs partyserver vs a bare DO loop, each in a fresh local workerd";

const ROOMS = 10;
const CONNECTIONS = 2000;
/** Lets the runtime finish the handshakes and the garbage collector catch up before reading RSS. */
const SETTLE_MS = 5000;

export async function run() {
  const perConnection = {};
  const rows = [];
  for (const label of ["flarebase", "partyserver", "bare DO"]) {
    await withBenchServer(CHANNELS_CONFIG, async (server) => {
      const sockets = [];
      try {
        const target = benchTargets(server.url.replace("http://", "ws://"), server.project.keys).find(
          (t) => t.label === label,
        );
        const rooms = Array.from({ length: ROOMS }, (_, i) => `memory-${i}`);
        sockets.push(...(await Promise.all(rooms.map((room) => open(target, room, "sub")))));
        const before = await settledRss(server.pid);
        for (let i = 0; i < CONNECTIONS; i += 50) {
          const batch = Array.from({ length: Math.min(50, CONNECTIONS - i) }, (_, j) => rooms[(i + j) % ROOMS]);
          sockets.push(...(await Promise.all(batch.map((room) => open(target, room, "sub")))));
        }
        const after = await settledRss(server.pid);
        perConnection[label] = (after - before) / CONNECTIONS;
        rows.push({
          server: label,
          connections: CONNECTIONS,
          "RSS before MB": round(before / 2 ** 20),
          "RSS after MB": round(after / 2 ** 20),
          "KB per connection": round(perConnection[label] / 1024),
        });
      } finally {
        for (const ws of sockets) ws.terminate();
      }
    });
  }
  const bare = perConnection["bare DO"];
  for (const row of rows) row["÷ bare DO"] = ratio(perConnection[row.server], bare);
  return rows;
}

async function settledRss(rootPid) {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return workerdRss(rootPid);
}
