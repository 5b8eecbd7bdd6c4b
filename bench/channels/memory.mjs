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
import { readdir, readFile } from "node:fs/promises";
import { ratio, round, withBenchServer } from "../local-server.mjs";
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

/** Sum of the resident set sizes (bytes) of the workerd processes under `rootPid`. */
async function workerdRss(rootPid) {
  const parents = new Map();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => null);
    if (stat === null) continue;
    // The command name is in parentheses and may contain spaces; the parent pid follows it.
    const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    parents.set(Number(entry), {
      ppid: Number(afterName[1]),
      name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    });
  }
  const descends = (pid) => {
    for (let p = pid; p > 1; p = parents.get(p)?.ppid ?? 0) if (p === rootPid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { name }] of parents) {
    if (name !== "workerd" || !descends(pid)) continue;
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    if (kb) total += Number(kb[1]) * 1024;
  }
  if (total === 0) throw new Error("no workerd process found under the bench server (Linux /proc needed)");
  return total;
}
