/**
 * Collection watcher benchmark (`npm run bench -- watchers`): live queries with a distinct filter
 * per subscriber (90% `n = <i>` equalities, 10% `n >= a && n < b` ranges), 100 and 1,000
 * subscribers, fed by writes through the REST API, on one local workerd
 * (bench/watchers/wrangler.toml):
 * - Flarebase's collection watcher (filter groups, equality index, rules per audience, sequenced
 *   delivery from the change feed), subscribers with the public key over the real upgrade route;
 * - a naive watcher object reading the same change feed that evaluates every filter for every
 *   subscriber on every change.
 * Both watchers are open at once and measured side by side (paced phases together, burst and
 * backlog runs alternating, median of three). Reports write-to-event latency (p50/p99, from
 * sending the REST write to the event arriving at a subscriber's WebSocket) at a paced write rate; changes/s under a burst of batched writes (writes
 * and delivery share the machine, so this is the pace of the whole system); and changes/s and
 * deliveries/s draining a backlog (the same burst committed without notifications, then one
 * notification: the watcher alone sets that pace). Ratios are Flarebase's to the naive watcher.
 * Loopback only, bounded in time (about a minute and a half).
 */
import WebSocket from "ws";
import { adminRequest } from "../../scripts/local-worker.mjs";
import { percentile, ratio, round, withBenchServer } from "../local-server.mjs";
import { openSide } from "./load.mjs";

export const name = "watchers";
export const description =
  "collection watchers, N subscribers with distinct filters: write-to-event latency and changes/s, Flarebase vs a naive evaluate-every-filter watcher, same local workerd and D1";

const CONFIG = "bench/watchers/wrangler.toml";
const SIZES = [100, 1000];
/** Latency phase: single REST creates, one every 1/rate s. */
const PACED = { writes: 100, rate: 20 };
/** Throughput phases: `batches` batches of `batch` creates, `inFlight` at a time (burst). */
const BURST = { batches: 20, batch: 100, inFlight: 2 };
/** Burst and backlog runs per watcher; the median run (by time) is reported. */
const REPEATS = 3;

/** The run with the median elapsed time. */
const median = (runs) => [...runs].sort((a, b) => a.elapsed - b.elapsed)[Math.floor(runs.length / 2)];

export async function run() {
  return withBenchServer(CONFIG, async ({ url, adminToken, project }) => {
    const base = url.replace("http://", "ws://");
    const targets = [
      {
        label: "flarebase",
        collection: (n) => `watch${n}`,
        connect: (collection, filter) =>
          new WebSocket(`${base}/v1/realtime/collections/${collection}?${new URLSearchParams({ filter })}`, [
            "flarebase.v1",
            `flarebase.key.${project.keys.public}`,
          ]),
        // Live once the watcher says the connection follows the stream.
        ready: (frame) => frame.type === "synced",
      },
      {
        label: "naive",
        collection: (n) => `naive${n}`,
        connect: (collection, filter) =>
          new WebSocket(`${base}/naive/${project.id}/${collection}?${new URLSearchParams({ filter })}`),
        ready: null,
      },
    ];
    const post = async (path, body, headers = {}) => {
      const response = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "X-API-Key": project.keys.secret, "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      if (!response.ok) throw new Error(`POST ${path}: HTTP ${response.status} ${await response.text()}`);
    };
    const server = {
      /** A REST write; `hold` keeps its notification from the watcher (bench fixture). */
      write: (path, body, hold = false) => post(path, body, hold ? { "x-bench-hold-notify": "1" } : {}),
      notify: (collection) => post(`/bench/notify/${project.id}/${collection}`, {}),
    };

    const rows = [];
    for (const subscribers of SIZES) {
      // Both watchers are measured side by side, so a hiccup of this shared machine hits both.
      const collections = targets.map((target) => target.collection(subscribers));
      // Public keys may watch a collection with a read rule; everyone may read here.
      const rules = await adminRequest(
        url,
        adminToken,
        "PUT",
        `/v1/admin/projects/${project.id}/collections/${collections[0]}/rules`,
        { read: "true" },
      );
      if (rules.status !== 200) throw new Error(`setting rules failed: ${JSON.stringify(rules.body)}`);
      const results = await measureSideBySide(targets, collections, subscribers, server);
      const fb = results[0];
      targets.forEach((target, i) => {
        const r = results[i];
        rows.push({
          subscribers,
          watcher: target.label,
          "p50 ms": r.p50,
          "p99 ms": r.p99,
          "burst changes/s": r.changesPerSecond,
          "burst p99 ms": r.burstP99,
          "backlog changes/s": r.backlogChangesPerSecond,
          "backlog deliveries/s": r.backlogDeliveriesPerSecond,
          "flarebase ÷ this (burst)": ratio(fb.changesPerSecond, r.changesPerSecond),
          "flarebase ÷ this (backlog)": ratio(fb.backlogChangesPerSecond, r.backlogChangesPerSecond),
        });
      });
    }
    return rows;
  });
}

/**
 * Opens both watchers' subscribers, then: a warm-up; the paced phase, both at once; the burst and
 * the backlog REPEATS times, one watcher after the other, in alternating order. Closes them.
 */
async function measureSideBySide(targets, collections, subscribers, server) {
  const sides = [];
  try {
    for (const [i, target] of targets.entries())
      sides.push(await openSide(target, collections[i], subscribers, server));
    await Promise.all(sides.map((side) => side.warmUp()));
    const paced = await Promise.all(sides.map((side) => side.paced(PACED)));
    const bursts = sides.map(() => []);
    const backlogs = sides.map(() => []);
    for (let rep = 0; rep < REPEATS; rep++) {
      const order = rep % 2 === 0 ? [...sides.keys()] : [...sides.keys()].reverse();
      for (const i of order) bursts[i].push(await sides[i].burst(BURST));
      for (const i of order) backlogs[i].push(await sides[i].backlog(BURST));
    }
    const perSecond = (run) => Math.round(run.count / (run.elapsed / 1000));
    return sides.map((_, i) => {
      const burst = median(bursts[i]);
      const backlog = median(backlogs[i]);
      return {
        p50: round(percentile(paced[i].latencies, 50), 2),
        p99: round(percentile(paced[i].latencies, 99), 2),
        changesPerSecond: perSecond(burst),
        burstP99: round(percentile(burst.latencies, 99)),
        backlogChangesPerSecond: perSecond(backlog),
        backlogDeliveriesPerSecond: Math.round(backlog.expected / (backlog.elapsed / 1000)),
      };
    });
  } finally {
    for (const side of sides) side.close();
  }
}
