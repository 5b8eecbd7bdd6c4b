/**
 * Collection watcher benchmark (`npm run bench -- watchers`): live queries with a distinct filter
 * per subscriber (90% `n = <i>` equalities, 10% `n >= a && n < b` ranges), 100 and 1,000
 * subscribers, fed by writes through the REST API, on one local workerd
 * (bench/watchers/wrangler.toml):
 * - Flarebase's collection watcher (filter groups, equality index, rules per audience, sequenced
 *   delivery from the change feed), subscribers with the public key over the real upgrade route;
 * - a naive watcher object reading the same change feed that evaluates every filter for every
 *   subscriber on every change.
 * Reports write-to-event latency (p50/p99, from sending the REST write to the event arriving at a
 * subscriber's WebSocket) at a paced write rate; changes/s under a burst of batched writes (writes
 * and delivery share the machine, so this is the pace of the whole system); and changes/s and
 * deliveries/s draining a backlog (the same burst committed without notifications, then one
 * notification: the watcher alone sets that pace). Ratios are Flarebase's to the naive watcher.
 * Loopback only, bounded in time (about a minute).
 */
import WebSocket from "ws";
import { adminRequest } from "../../scripts/local-worker.mjs";
import { percentile, ratio, round, withBenchServer } from "../local-server.mjs";

export const name = "watchers";
export const description =
  "collection watchers, N subscribers with distinct filters: write-to-event latency and changes/s, Flarebase vs a naive evaluate-every-filter watcher, same local workerd and D1";

const CONFIG = "bench/watchers/wrangler.toml";
const SIZES = [100, 1000];
/** Latency phase: single REST creates, one every 1/rate s. */
const PACED = { writes: 100, rate: 20 };
/** Throughput phase: batches of BATCH creates, IN_FLIGHT at a time. */
const BURST = { batches: 20, batch: 100, inFlight: 2 };
const PHASE_TIMEOUT_MS = 60_000;

/** Subscriber i's filter, as an expression and as a predicate on `n`. */
function filterOf(i, subscribers) {
  const equalities = Math.floor(subscribers * 0.9);
  if (i < equalities) return { text: `n = ${i}`, test: (n) => n === i };
  const low = (i - equalities) * 10;
  return { text: `n >= ${low} && n < ${low + 20}`, test: (n) => n >= low && n < low + 20 };
}

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
      const results = {};
      for (const target of targets) {
        const collection = target.collection(subscribers);
        if (target.label === "flarebase") {
          // Public keys may watch a collection with a read rule; everyone may read here.
          const rules = await adminRequest(
            url,
            adminToken,
            "PUT",
            `/v1/admin/projects/${project.id}/collections/${collection}/rules`,
            { read: "true" },
          );
          if (rules.status !== 200) throw new Error(`setting rules failed: ${JSON.stringify(rules.body)}`);
        }
        results[target.label] = await measure(target, collection, subscribers, server);
      }
      const fb = results.flarebase;
      for (const target of targets) {
        const r = results[target.label];
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
      }
    }
    return rows;
  });
}

/** Opens the subscribers, runs a warm-up, the paced phase and the burst, and closes them. */
async function measure(target, collection, subscribers, { write, notify }) {
  const filters = Array.from({ length: subscribers }, (_, i) => filterOf(i, subscribers));
  const expectedFor = (n) => filters.filter((filter) => filter.test(n)).length;
  let phase = null;
  const onFrame = (data) => {
    const now = performance.now();
    const frame = JSON.parse(data.toString());
    if (frame.type === "error") throw new Error(`${target.label}: ${data}`);
    if (frame.type !== "changes" || !phase) return;
    for (const item of frame.items) {
      if (item.data?.phase !== phase.id) continue;
      phase.latencies.push(now - item.data.t);
      if (phase.latencies.length === phase.expected) phase.done();
    }
  };

  const sockets = [];
  try {
    for (let i = 0; i < subscribers; i += 25) {
      const opening = filters.slice(i, i + 25).map((filter) => open(target, collection, filter.text, onFrame));
      sockets.push(...(await Promise.all(opening)));
    }
    let phases = 0;
    const runPhase = async (docs, send) => {
      const id = ++phases;
      const expected = docs.reduce((sum, n) => sum + expectedFor(n), 0);
      const since = performance.now();
      const finished = new Promise((resolve, reject) => {
        phase = { id, expected, latencies: [], done: resolve };
        setTimeout(
          () =>
            reject(new Error(`${target.label}: phase ${id} timed out (${phase?.latencies.length}/${expected} events)`)),
          PHASE_TIMEOUT_MS,
        ).unref();
      });
      await send(id);
      await finished;
      const elapsed = performance.now() - (phase.since ?? since);
      const latencies = phase.latencies.sort((a, b) => a - b);
      phase = null;
      return { elapsed, latencies, expected };
    };
    const path = `/v1/collections/${collection}`;
    const create = (n, id) => ({ n, phase: id, t: performance.now() });

    // Warm-up: every subscriber's object and socket path is hot before anything is timed.
    const warm = Array.from({ length: 20 }, (_, j) => (j * 53) % subscribers);
    await runPhase(warm, async (id) => {
      await write(`${path}/batch`, { operations: warm.map((n) => ({ op: "create", data: create(n, id) })) });
    });

    const pacedDocs = Array.from({ length: PACED.writes }, (_, j) => (j * 37) % subscribers);
    const paced = await runPhase(pacedDocs, async (id) => {
      const started = performance.now();
      const writes = [];
      for (const [j, n] of pacedDocs.entries()) {
        const wait = started + (j * 1000) / PACED.rate - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        writes.push(write(`${path}/documents`, { data: create(n, id) }));
      }
      await Promise.all(writes);
    });

    const burstDocs = Array.from({ length: BURST.batches * BURST.batch }, (_, j) => (j * 7) % subscribers);
    const burst = await runPhase(burstDocs, async (id) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: BURST.inFlight }, async () => {
          while (next < BURST.batches) {
            const docs = burstDocs.slice(next * BURST.batch, ++next * BURST.batch);
            await write(`${path}/batch`, { operations: docs.map((n) => ({ op: "create", data: create(n, id) })) });
          }
        }),
      );
    });

    // A backlog: the same burst committed without notifications, then one notification. The
    // watcher alone sets the pace, not the writes.
    const backlog = await runPhase(burstDocs, async (id) => {
      for (let i = 0; i < BURST.batches; i++) {
        const docs = burstDocs.slice(i * BURST.batch, (i + 1) * BURST.batch);
        await write(`${path}/batch`, { operations: docs.map((n) => ({ op: "create", data: create(n, id) })) }, true);
      }
      // Timed from the notification on.
      phase.since = performance.now();
      await notify(collection);
    });

    const seconds = burst.elapsed / 1000;
    return {
      p50: round(percentile(paced.latencies, 50), 2),
      p99: round(percentile(paced.latencies, 99), 2),
      changesPerSecond: Math.round(burstDocs.length / seconds),
      deliveriesPerSecond: Math.round(burst.expected / seconds),
      backlogChangesPerSecond: Math.round(burstDocs.length / (backlog.elapsed / 1000)),
      backlogDeliveriesPerSecond: Math.round(backlog.expected / (backlog.elapsed / 1000)),
      burstP50: round(percentile(burst.latencies, 50)),
      burstP99: round(percentile(burst.latencies, 99)),
    };
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}

/** Opens one subscriber and resolves once it is live. */
function open(target, collection, filter, onFrame) {
  const ws = target.connect(collection, filter);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target.label}: connecting timed out`)), 30_000);
    const fail = (error) => {
      clearTimeout(timer);
      reject(error);
    };
    ws.once("error", fail);
    ws.once("close", (code, reason) => fail(new Error(`${target.label}: closed ${code} ${reason}`)));
    const live = () => {
      clearTimeout(timer);
      ws.removeAllListeners("close");
      ws.on("message", onFrame);
      resolve(ws);
    };
    if (!target.ready) ws.once("open", live);
    else
      ws.on("message", function first(data) {
        if (!target.ready(JSON.parse(data.toString()))) return;
        ws.off("message", first);
        live();
      });
  });
}
