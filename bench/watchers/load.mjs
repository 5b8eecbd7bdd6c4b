/**
 * The watcher benchmark's load generator: N subscribers of one watcher over real WebSockets
 * (loopback), each with its own filter, and the REST writes that feed them. Writers and
 * subscribers run in this process, so a write's send time (carried in the document as `t`) and
 * its events' arrival times come from the same clock (`performance.now()`).
 */
/** @typedef {import("ws").WebSocket} WebSocket */

/** How long any one phase may take before the run gives up on it. */
const PHASE_TIMEOUT_MS = 60_000;

/** Subscriber i's filter, as an expression and as a predicate on `n`. */
function filterOf(i, subscribers) {
  const equalities = Math.floor(subscribers * 0.9);
  if (i < equalities) return { text: `n = ${i}`, test: (n) => n === i };
  const low = (i - equalities) * 10;
  return { text: `n >= ${low} && n < ${low + 20}`, test: (n) => n >= low && n < low + 20 };
}

/**
 * @typedef {object} Target
 * @property {string} label
 * @property {(collection: string, filter: string) => WebSocket} connect
 * @property {((frame: { type: string }) => boolean) | null} ready the frame that says a connection
 *   is live; null when it is live once open
 */

/**
 * Opens `subscribers` connections to one watcher of `collection`, each with a distinct filter.
 *
 * @param {Target} target
 * @param {string} collection
 * @param {number} subscribers
 * @param {{ write: (path: string, body: unknown, hold?: boolean) => Promise<void>, notify: (collection: string) => Promise<void> }} server
 */
export async function openSide(target, collection, subscribers, { write, notify }) {
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
  const close = () => {
    for (const ws of sockets) ws.terminate();
  };
  try {
    for (let i = 0; i < subscribers; i += 25) {
      const opening = filters.slice(i, i + 25).map((filter) => open(target, collection, filter.text, onFrame));
      sockets.push(...(await Promise.all(opening)));
    }
  } catch (error) {
    close();
    throw error;
  }

  let phases = 0;
  /** Writes `docs` (values of `n`) with `send`, until every subscriber that matches has its events. */
  const runPhase = async (docs, send) => {
    const id = ++phases;
    const expected = docs.reduce((sum, n) => sum + expectedFor(n), 0);
    const since = performance.now();
    const finished = new Promise((resolve, reject) => {
      phase = { id, expected, latencies: [], done: resolve, since: null };
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
    return { elapsed, latencies, expected, count: docs.length };
  };
  const path = `/v1/collections/${collection}`;
  const create = (n, id) => ({ n, phase: id, t: performance.now() });
  const batch = (docs, id, hold = false) =>
    write(`${path}/batch`, { operations: docs.map((n) => ({ op: "create", data: create(n, id) })) }, hold);
  const burstDocs = ({ batches, batch: size }) =>
    Array.from({ length: batches * size }, (_, j) => (j * 7) % subscribers);

  return {
    close,

    /** Every subscriber's object and socket path is hot before anything is timed. */
    warmUp() {
      const docs = Array.from({ length: 20 }, (_, j) => (j * 53) % subscribers);
      return runPhase(docs, (id) => batch(docs, id));
    },

    /** Single REST creates at `rate` per second: write-to-event latency. */
    paced({ writes, rate }) {
      const docs = Array.from({ length: writes }, (_, j) => (j * 37) % subscribers);
      return runPhase(docs, async (id) => {
        const started = performance.now();
        const pending = [];
        for (const [j, n] of docs.entries()) {
          const wait = started + (j * 1000) / rate - performance.now();
          if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
          pending.push(write(`${path}/documents`, { data: create(n, id) }));
        }
        await Promise.all(pending);
      });
    },

    /** Batches of creates, `inFlight` at a time: writes and delivery together. */
    burst(plan) {
      const docs = burstDocs(plan);
      return runPhase(docs, async (id) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: plan.inFlight }, async () => {
            while (next < plan.batches) await batch(docs.slice(next * plan.batch, ++next * plan.batch), id);
          }),
        );
      });
    },

    /**
     * The same batches committed without notifications, then one notification, timed from it:
     * the watcher alone sets the pace, not the writes.
     */
    backlog(plan) {
      const docs = burstDocs(plan);
      return runPhase(docs, async (id) => {
        for (let i = 0; i < plan.batches; i++) await batch(docs.slice(i * plan.batch, (i + 1) * plan.batch), id, true);
        phase.since = performance.now();
        await notify(collection);
      });
    },
  };
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
