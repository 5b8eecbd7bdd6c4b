/**
 * Round-trips benchmark (`npm run bench -- round-trips`): how many D1 round trips each kind of
 * request makes, counted exactly on the real binding (data/d1/round-trips.ts) of a local Worker.
 * Locally a trip costs well under a millisecond; deployed, each is a trip from the edge location
 * to the database, often tens of milliseconds, so this count is what users feel. The same counts
 * are pinned by test/worker/round-trips.test.ts. Loopback only; a few seconds.
 *
 * Counts are those of a warm isolate: each caller makes one request first (a credential's first
 * request in an isolate adds its lookup, and a collection's first rules read there adds one).
 * Columns: `worker` is what the Worker makes before it answers (the `X-D1-Round-Trips` header);
 * `total` adds what a Durable Object makes for it (a socket's connect, a room's directory row),
 * read from the isolate's tally once D1 is quiet; `trips` says what each trip reads or writes.
 */
import WebSocket from "ws";
import { withBenchServer } from "../local-server.mjs";

export const name = "round-trips";
export const description = "D1 round trips per request kind (exact counts; deployed, each is an edge-to-database trip)";

const CONFIG = "bench/round-trips/wrangler.toml";
const HEADER = "x-d1-round-trips";
const OPEN_RULES = { read: "true", list: "true", create: "true", update: "true", delete: "true" };

export async function run() {
  return withBenchServer(CONFIG, async ({ url, project }) => {
    const call = async (key, method, path, body, extra = {}) => {
      const headers = { ...authHeaders(key), ...extra };
      let payload;
      if (body instanceof Uint8Array) payload = body;
      else if (body !== undefined) {
        headers["content-type"] = "application/json";
        payload = JSON.stringify(body);
      }
      const response = await fetch(`${url}${path}`, { method, headers, body: payload });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
      const json = response.headers.get("content-type")?.includes("json");
      return { worker: Number(response.headers.get(HEADER)), body: json ? JSON.parse(text) : text };
    };
    const tally = async () => await (await fetch(`${url}/__round-trips`)).json();
    /** Waits until D1 is quiet (nothing an earlier step started still runs), then reads the tally. */
    const quiet = async () => {
      let last = await tally();
      for (let still = 0; still < 3; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const now = await tally();
        still = now.total === last.total ? still + 1 : 0;
        last = now;
      }
      return last;
    };
    const rows = [];
    const measure = async (request, caller, step) => {
      const before = await quiet();
      const { worker } = await step();
      const after = await quiet();
      const trips = after.recent.slice(after.recent.length - (after.total - before.total));
      rows.push({ request, caller, worker, total: trips.length, trips: trips.map(describeTrip).join(", ") });
    };

    const secret = project.keys.secret;
    const pub = project.keys.public;
    await call(secret, "PUT", "/v1/collections/notes/rules", OPEN_RULES);
    await call(secret, "POST", "/v1/collections/notes/documents", { id: "a", data: { n: 1 } });
    const minted = await call(secret, "POST", "/v1/auth/token", { user_id: "u1" });
    const user = minted.body.token;

    for (const [caller, key] of [
      ["public key", pub],
      ["user token", user],
      ["secret key", secret],
    ]) {
      let version = (await call(secret, "GET", "/v1/collections/notes/documents/a")).body.version;
      // Once, so the isolate has seen the credential and the rules: the rows are every later request.
      await call(key, "GET", "/v1/collections/notes/documents/a");
      await measure("get by id", caller, () => call(key, "GET", "/v1/collections/notes/documents/a"));
      await measure("filtered list", caller, () => call(key, "GET", "/v1/collections/notes/documents?n_gt=0"));
      await measure("create", caller, () => call(key, "POST", "/v1/collections/notes/documents", { data: { n: 2 } }));
      await measure("update with If-Match", caller, async () => {
        const result = await call(
          key,
          "PATCH",
          "/v1/collections/notes/documents/a",
          { data: { n: 3 } },
          {
            "if-match": String(version),
          },
        );
        version = result.body.version;
        return result;
      });
      await measure("batch (create + update)", caller, async () => {
        const result = await call(key, "POST", "/v1/collections/notes/batch", {
          operations: [
            { op: "create", data: { n: 4 } },
            { op: "update", id: "a", data: { n: 5 } },
          ],
        });
        version = result.body.results[1].version;
        return result;
      });
      await measure("count", caller, () => call(key, "GET", "/v1/collections/notes/count?n_gt=0"));
      await measure("aggregate", caller, () =>
        call(key, "GET", "/v1/collections/notes/aggregate?operation=sum&field=n"),
      );
    }

    const ws = `${url.replace(/^http/, "ws")}/v1/realtime`;
    const protocols = ["flarebase.v1", `flarebase.key.${pub}`];
    await measure("channel upgrade", "public key", () =>
      socket(`${ws}/channels/bench-${Date.now()}`, protocols, "hello"),
    );
    await measure("REST publish", "public key", () =>
      call(pub, "POST", "/v1/channels/news/messages", { name: "m", data: 1 }),
    );
    const room = `bench-${Date.now()}`;
    const owner = await socket(`${ws}/rooms/${room}?mode=create&client_id=owner`, protocols, "hello", true);
    await measure("room join", "public key", () => socket(`${ws}/rooms/${room}?client_id=guest`, protocols, "hello"));
    owner.ws.close();
    await measure("watcher subscribe (snapshot)", "public key", () =>
      socket(`${ws}/collections/notes?snapshot=true`, protocols, "synced"),
    );

    const bucket = await call(secret, "POST", "/v1/storage/buckets", {
      name: "files",
      rules: { read: "true", create: "true", update: "true", delete: "true" },
    });
    if (!bucket.body) throw new Error("creating the bucket failed");
    const bytes = new TextEncoder().encode("hello");
    const file = "/v1/storage/buckets/files/objects/a.txt";
    await measure("file upload", "user token", () =>
      call(user, "PUT", file, bytes, { "content-type": "text/plain", "content-length": "5" }),
    );
    await measure("file GET", "user token", () => call(user, "GET", file));
    await measure("file list", "user token", () => call(user, "GET", "/v1/storage/buckets/files/objects"));
    return rows;
  });
}

function authHeaders(key) {
  return key.startsWith("pk_") || key.startsWith("sk_") ? { "x-api-key": key } : { authorization: `Bearer ${key}` };
}

/**
 * Opens a socket and waits for its first frame of `type`; resolves to the Worker's trips (the
 * 101's header). Unless `keep`, the socket is closed afterwards.
 */
function socket(url, protocols, type, keep = false) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    let worker = Number.NaN;
    const timer = setTimeout(() => reject(new Error(`${url}: no ${type} frame`)), 10_000);
    ws.on("upgrade", (response) => {
      worker = Number(response.headers[HEADER]);
    });
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === "error") reject(new Error(`${url}: ${JSON.stringify(frame)}`));
      if (frame.type !== type) return;
      clearTimeout(timer);
      if (!keep) ws.close();
      resolve({ worker, ws });
    });
    ws.on("error", reject);
  });
}

/** What one trip is about, from its first statement (a batch shows its size). */
function describeTrip(trip) {
  const what = TABLES.find(([pattern]) => pattern.test(trip.sql))?.[1] ?? trip.sql.slice(0, 30);
  return trip.method === "batch" ? `batch of ${trip.statements} (${what}…)` : what;
}

const TABLES = [
  [/FROM api_keys/, "key"],
  [/FROM signing_keys/, "signing key"],
  [/FROM projects/, "project"],
  [/collection_settings/, "rules"],
  [/write_guards/, "guarded write"],
  [/FROM documents/, "documents"],
  [/INSERT INTO documents/, "write"],
  [/collection_sequences/, "feed head"],
  [/outbox/, "outbox"],
  [/buckets/, "bucket"],
  [/files/, "file row"],
  [/rooms/, "room directory"],
];
