/**
 * Documents benchmark (`npm run bench -- documents`): the documents API on local D1 against the
 * same work written by hand as SQL, on the same database in the same workerd
 * (bench/documents/fixture-worker.ts):
 * - a filtered list (`n = <v>`, 100 matches in a collection of 100,000 documents, one page of 100)
 *   without an index, then with one made by the admin index API: p50/p99 per request;
 * - inserts: `POST …/documents` (one per request) and `POST …/batch` (100 per request), which also
 *   append every change to the outbox, against hand-written INSERTs of the same documents.
 * Loopback only, one request at a time for latency and a few in flight for throughput; about a
 * minute and a half.
 */
import { adminRequest } from "../../scripts/local-worker.mjs";
import { percentile, ratio, round, withBenchServer } from "../local-server.mjs";

export const name = "documents";
export const description =
  "documents on local D1: filtered list over 100,000 documents (no index, then indexed) and inserts with the outbox, vs the same SQL written by hand on the same database";

const CONFIG = "bench/documents/wrangler.toml";
const DOCUMENTS = 100_000;
const SEED_CHUNK = 10_000;
/** Distinct values of `n`: each value matches DOCUMENTS / MODULO documents. */
const MODULO = 1000;
/** The page size: every match fits one page, so a scan cannot stop early. */
const PAGE = 100;
const LIST_SAMPLES = { scan: 100, indexed: 300 };
/** Requests per writer, split into INSERT_REPEATS runs. */
const INSERTS = { single: 300, batch: 45 };
const INSERT_REPEATS = 3;
const BATCH = 100;
const IN_FLIGHT = 4;

export async function run() {
  return withBenchServer(CONFIG, async ({ url, adminToken, project }) => {
    const secret = { "X-API-Key": project.keys.secret };
    const call = async (method, path, body) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { ...secret, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
      return JSON.parse(text);
    };

    for (let from = 0; from < DOCUMENTS; from += SEED_CHUNK) {
      await call("POST", "/bench/seed", {
        project_id: project.id,
        collection: "items",
        from,
        count: SEED_CHUNK,
        modulo: MODULO,
      });
    }

    const list = {
      ours: (n) =>
        `/v1/collections/items/documents?${new URLSearchParams({ filter: `n = ${n}`, limit: String(PAGE) })}`,
      hand: (n) =>
        `/bench/list?${new URLSearchParams({ project: project.id, collection: "items", n: String(n), limit: String(PAGE + 1) })}`,
    };
    await sameResults(call, list);
    const plan = async () => {
      const q = new URLSearchParams({ project: project.id, collection: "items", n: "421", limit: String(PAGE) });
      const plans = await call("GET", `/bench/plan?${q}`);
      return `ours: ${planSummary(plans.ours)}; hand: ${planSummary(plans.hand)}`;
    };

    const rows = [];
    const listRows = async (label, samples) => {
      const planText = await plan();
      const result = await timeLists(call, list, samples);
      rows.push(row(`list, ${label}`, "p50 ms", result.ours.p50, result.hand.p50, planText));
      rows.push(row(`list, ${label}`, "p99 ms", result.ours.p99, result.hand.p99, planText));
    };
    await listRows("no index", LIST_SAMPLES.scan);
    const index = await adminRequest(
      url,
      adminToken,
      "POST",
      `/v1/admin/projects/${project.id}/collections/items/indexes`,
      { fields: ["n"] },
    );
    if (index.status !== 201) throw new Error(`creating the index failed: ${JSON.stringify(index.body)}`);
    await listRows("index on n", LIST_SAMPLES.indexed);

    const doc = (i) => ({
      n: i % MODULO,
      i,
      name: `document ${i}`,
      tags: ["bench", `t${i % 7}`],
      score: (i * 7919) % 1000,
    });
    const hand = (table, offset) => (ids) =>
      call("POST", "/bench/insert", {
        project_id: project.id,
        collection: `inserts-${table}`,
        table,
        documents: ids.map((i) => ({ id: `h${offset + i}`, data: doc(i) })),
      });
    const single = {
      ours: (ids) => call("POST", "/v1/collections/inserts/documents", { data: doc(ids[0]) }),
      hand: hand("plain", 0),
      handOutbox: hand("documents", 0),
    };
    const batch = {
      ours: (ids) =>
        call("POST", "/v1/collections/inserts/batch", { operations: ids.map((i) => ({ op: "create", data: doc(i) })) }),
      hand: hand("plain", 1_000_000),
      handOutbox: hand("documents", 1_000_000),
    };
    for (const [label, writers, requests, size] of [
      ["insert, 1 per request", single, INSERTS.single, 1],
      [`insert, batch of ${BATCH}`, batch, INSERTS.batch, BATCH],
    ]) {
      // Short runs, the three writers taking turns in alternating order; the median run counts.
      const runs = { ours: [], hand: [], handOutbox: [] };
      const sides = Object.keys(runs);
      for (let rep = 0; rep < INSERT_REPEATS; rep++) {
        for (const side of rep % 2 === 0 ? sides : [...sides].reverse()) {
          runs[side].push(await throughput(writers[side], Math.ceil(requests / INSERT_REPEATS), size));
        }
      }
      const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const [ours, plain, withOutbox] = sides.map((side) => median(runs[side]));
      rows.push(row(label, "docs/s", ours, plain, "hand: INSERT, no outbox"));
      rows.push(row(label, "docs/s", ours, withOutbox, "hand: INSERT into documents, outbox triggers"));
    }
    return rows;
  });
}

function row(measure, unit, ours, hand, note) {
  return {
    measure,
    unit,
    flarebase: ours,
    "hand-written": hand,
    "flarebase ÷ hand": ratio(ours, hand),
    note,
  };
}

/** Both sides return the same documents, in the same order (else the comparison means nothing). */
async function sameResults(call, list) {
  for (const n of [0, 421, 999]) {
    const [ours, hand] = await Promise.all([call("GET", list.ours(n)), call("GET", list.hand(n))]);
    const ids = (page) => page.items.map((item) => item.id).join(",");
    if (ours.items.length !== PAGE || ids(ours) !== ids(hand)) {
      throw new Error(
        `n = ${n}: the API returned ${ours.items.length} documents, the hand-written SQL ${hand.items.length}, or other ids`,
      );
    }
  }
}

/** Latency of one list at a time, ours and hand-written interleaved so both see the same conditions. */
async function timeLists(call, list, samples) {
  const times = { ours: [], hand: [] };
  for (let i = -5; i < samples; i++) {
    const n = (i * 379 + 1000) % MODULO;
    for (const side of i % 2 === 0 ? ["ours", "hand"] : ["hand", "ours"]) {
      const started = performance.now();
      await call("GET", list[side](n));
      if (i >= 0) times[side].push(performance.now() - started);
    }
  }
  const stats = (values) => {
    values.sort((a, b) => a - b);
    return { p50: round(percentile(values, 50), 2), p99: round(percentile(values, 99), 2) };
  };
  return { ours: stats(times.ours), hand: stats(times.hand) };
}

/** Documents per second for `requests` writes of `size` documents, IN_FLIGHT at a time. */
async function throughput(write, requests, size) {
  let next = 0;
  const base = Math.floor(Math.random() * 1e6) * 1000;
  await write(Array.from({ length: size }, (_, k) => base + 999_000 + k)); // warm-up
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < requests) {
        const first = base + next++ * size;
        await write(Array.from({ length: size }, (_, k) => first + k));
      }
    }),
  );
  return Math.round((requests * size) / ((performance.now() - started) / 1000));
}

/** What SQLite's EXPLAIN QUERY PLAN says the list reads: the expression index, or every row of the collection. */
function planSummary(detail) {
  if (/INDEX fbx_/.test(detail)) return "expression index";
  if (/sqlite_autoindex_documents/.test(detail)) return "collection range of the primary key";
  return detail;
}
