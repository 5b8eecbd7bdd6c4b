import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../core/errors";
import { ChannelClientFrame } from "../../core/protocol/channel";
import { RoomClientFrame } from "../../core/protocol/room";
import { WatcherClientFrame } from "../../core/protocol/watcher";
import { bucketKeyPrefix } from "../../data/files/object-key";
import { joinChannel, type TestSocket, uniqueChannel } from "./channel-helpers";
import { credentials } from "./files-helpers";
import { storageRequest } from "./fuzz-storage-inputs";
import { ADMIN_TOKEN, api, createProject, mintToken, type TestProject } from "./helpers";
import { create, enter, uniqueRoom } from "./room-helpers";
import { connectWatcher, uniqueCollection } from "./watcher-helpers";

/**
 * Property-based fuzzing of every REST route of /openapi.json and of the frames of every realtime
 * object. `npm test` runs a bounded number of cases; `npm run fuzz` sets FUZZ_RUNS (a binding,
 * vitest.config.ts) for many more and reads the totals this file prints.
 */
const RUNS = Number((env as unknown as { FUZZ_RUNS?: string }).FUZZ_RUNS) || 25;
const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));
/** Each test's time budget grows with the number of cases (about 40 routes, a few ms per request). */
const TIMEOUT_MS = Math.max(120_000, RUNS * 1_000);

const totals = { requests: 0, frames: 0, status: new Map<number, number>(), codes: new Map<string, number>() };
const count = (map: Map<string | number, number>, key: string | number) => map.set(key, (map.get(key) ?? 0) + 1);

afterAll(() => {
  const codes = Object.fromEntries([...totals.codes].sort());
  const statuses = Object.fromEntries([...totals.status].sort());
  const fiveXX = [...totals.status].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  console.log(
    `fuzz totals: ${totals.requests} requests, ${totals.frames} frames; status ${JSON.stringify(statuses)}; error codes ${JSON.stringify(codes)}; 5xx = ${fiveXX}`,
  );
});

interface Operation {
  method: string;
  path: string;
}

/** Every REST operation the app serves (WebSocket upgrades are fuzzed as frames below). */
async function operations(): Promise<Operation[]> {
  const spec = (await (await api("/openapi.json")).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if ("101" in operation.responses) continue;
      found.push({ method: method.toUpperCase(), path });
    }
  }
  return found;
}

/** Adversarial strings: plain, unicode, path tricks, huge numbers, deep JSON text, lone surrogates. */
const nasty = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("..", "%2e%2e", "a/b", "_system", "1e400", "-0", "null", "'; DROP TABLE x;--", "\ud800", "日本", ""),
  fc.constantFrom("[".repeat(5000), `{"a":${"[".repeat(100)}1${"]".repeat(100)}}`, "x".repeat(300)),
);
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc
    .dictionary(
      fc.constantFrom("data", "id", "name", "operators", "operations", "claims", "user_id", "filter"),
      fc.jsonValue({ maxDepth: 3 }),
    )
    .map((value) => JSON.stringify(value)),
  nasty,
);

/** A request with the operation's path parameters filled in and random query, headers and body. */
function requestFor(op: Operation, project: TestProject, closed: TestProject) {
  return fc
    .record({
      params: fc.array(nasty, { minLength: 4, maxLength: 4 }),
      query: fc.dictionary(
        fc.constantFrom("limit", "cursor", "filter", "sort", "offset", "since", "total", "select", "prefix"),
        nasty,
        { maxKeys: 3 },
      ),
      credential: fc.constantFrom<[string, string] | null>(
        null,
        ["X-API-Key", project.keys.public],
        ["X-API-Key", project.keys.secret],
        ["X-API-Key", closed.keys.public],
        ["X-API-Key", "pk_garbage"],
        ["Authorization", "Bearer not.a.jwt"],
        ["Authorization", `Bearer ${ADMIN_TOKEN}`],
      ),
      ifMatch: fc.option(nasty, { nil: undefined }),
      body: fc.option(jsonBody, { nil: undefined }),
    })
    .map(({ params, query, credential, ifMatch, body }) => {
      let index = 0;
      const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent((params[index++ % 4] || "x").toWellFormed()));
      const search = new URLSearchParams(query).toString();
      const headers: Record<string, string> = {};
      if (credential) headers[credential[0]] = credential[1];
      if (ifMatch !== undefined && /^[\x20-\x7e]*$/.test(ifMatch)) headers["If-Match"] = ifMatch;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const init: RequestInit = { method: op.method, headers };
      if (body !== undefined && op.method !== "GET" && op.method !== "HEAD") init.body = body;
      return { url: `${path}${search ? `?${search}` : ""}`, init };
    });
}

/**
 * The properties of every answer: no 5xx, and errors are the typed envelope with a known code
 * (an answer to HEAD has no body to hold one).
 */
async function checkAnswer(response: Response, what: string) {
  totals.requests += 1;
  count(totals.status, response.status);
  expect(response.status, what).toBeLessThan(500);
  if (response.status < 400 || what.startsWith("HEAD ")) {
    await response.body?.cancel();
    return;
  }
  const body = (await response.json()) as { error?: { code?: string; message?: string } };
  expect(typeof body.error?.message, what).toBe("string");
  expect(KNOWN_CODES.has(body.error?.code ?? ""), `${what}: code ${body.error?.code}`).toBe(true);
  count(totals.codes, body.error?.code as string);
}

describe("fuzz: REST", () => {
  it(
    `answers every route of /openapi.json with no 5xx and only typed errors (${RUNS} cases per route)`,
    async () => {
      const project = await createProject({ name: "fuzz" });
      // A project whose public key may write nothing (no rules, no buckets): whatever the fuzzer
      // sends with it is refused, so none of it may be stored.
      const closed = await createProject({ name: "fuzz-closed" });
      const ops = await operations();
      expect(ops.length).toBeGreaterThan(20);
      for (const op of ops) {
        await fc.assert(
          fc.asyncProperty(requestFor(op, project, closed), async ({ url, init }) => {
            await checkAnswer(await api(url, init), `${op.method} ${url}`);
          }),
          { numRuns: RUNS, seed: Number((env as unknown as { FUZZ_SEED?: string }).FUZZ_SEED) || undefined },
        );
      }
      // The worker is still healthy after it all, and nothing refused was stored.
      expect((await api("/health")).status).toBe(200);
      for (const table of ["documents", "outbox", "collection_settings", "document_indexes", "buckets", "files"]) {
        const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE project_id = ?`)
          .bind(closed.id)
          .first<{ n: number }>();
        expect(row?.n, `${table} rows of a project that may write nothing`).toBe(0);
      }
    },
    TIMEOUT_MS,
  );
});

/** What a project stores: its R2 keys and its file rows (path, key and etag). */
async function storedState(project: TestProject): Promise<string> {
  const listed = await env.BUCKET.list({ prefix: `files/${project.id}/`, limit: 1000 });
  const { results } = await env.DB.prepare(
    "SELECT bucket, path, object_key, etag FROM files WHERE project_id = ? ORDER BY bucket, path",
  )
    .bind(project.id)
    .all();
  return JSON.stringify({ keys: listed.objects.map((object) => object.key), rows: results });
}

describe("fuzz: storage and tus", () => {
  it(
    `answers the storage and upload routes with no 5xx, typed errors, and stores nothing it refuses (${RUNS * 8} cases)`,
    async () => {
      // One project whose bucket takes anything small (rules all true, 4 KiB files, a 64 KiB
      // quota), one whose bucket has no rules (closed to its public key and users).
      const open = await createProject({ name: "fuzz-files-open" });
      const closed = await createProject({ name: "fuzz-files-closed" });
      const bucket = (project: TestProject, settings: Record<string, unknown>) =>
        api("/v1/storage/buckets", {
          method: "POST",
          headers: credentials(project.keys.secret),
          json: { name: "files", ...settings },
        });
      const all = { read: "true", create: "true", update: "true", delete: "true" };
      expect((await bucket(open, { max_file_bytes: 4096, rules: all })).status).toBe(201);
      expect((await bucket(closed, {})).status).toBe(201);
      const quota = await api(`/v1/admin/projects/${open.id}/storage`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        json: { quota_bytes: 65_536 },
      });
      expect(quota.status).toBe(200);
      const openUser = (await mintToken(open, { user_id: "fuzzer" })).token as string;
      const closedUser = (await mintToken(closed, { user_id: "fuzzer" })).token as string;
      const callers = fc.constantFrom(
        credentials(open.keys.public),
        credentials(openUser),
        credentials(open.keys.secret),
        credentials(closed.keys.public),
        credentials(closedUser),
        credentials(null),
        { "X-API-Key": "pk_garbage" },
      );
      await fc.assert(
        fc.asyncProperty(storageRequest(callers), async ({ url, init, what }) => {
          const before = await storedState(open);
          const response = await api(url, init);
          const status = response.status;
          await checkAnswer(response, what);
          // A refused request changed nothing in R2 or D1.
          if (status >= 400) expect(await storedState(open), `${what} (${status}) changed what is stored`).toBe(before);
        }),
        { numRuns: RUNS * 8, seed: Number((env as unknown as { FUZZ_SEED?: string }).FUZZ_SEED) || undefined },
      );
      // Nothing at all was stored in the closed project: every write there is refused.
      expect(await storedState(closed)).toBe(JSON.stringify({ keys: [], rows: [] }));
      expect((await env.BUCKET.list({ prefix: bucketKeyPrefix(closed.id, "files") })).objects).toEqual([]);
      expect((await api("/health")).status).toBe(200);
    },
    TIMEOUT_MS,
  );
});

/** The frame types of an object's client union. */
function typesOf(union: { options: readonly { shape: { type: { value: string } } }[] }): string[] {
  return union.options.map((option) => option.shape.type.value);
}

/** A random frame, with `ref`, as text. */
function frameArbitrary(types: string[]) {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        {
          v: fc.oneof(
            { weight: 6, arbitrary: fc.constant(1) },
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
          ),
          type: fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...types) },
            { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
          ),
          id: fc.oneof(fc.uuid(), nasty),
          name: nasty,
          data: fc.jsonValue({ maxDepth: 3 }),
          content: nasty,
          action: nasty,
          ops: fc.array(
            fc.record({
              op: fc.constantFrom("set", "delete", "increment", "x"),
              path: nasty,
              value: fc.jsonValue({ maxDepth: 2 }),
            }),
            { maxLength: 3 },
          ),
          limit: fc.oneof(fc.integer(), nasty),
          user_id: nasty,
        },
        { requiredKeys: ["v", "type"] },
      ),
    },
    { weight: 1, arbitrary: nasty },
  );
}

/**
 * Sends `frames` (each given a fresh ref when it is an object) and checks that every ref got
 * exactly one reply, that no error is `internal` and every code is known.
 */
async function sendFrames(socket: TestSocket<{ type: string }>, frames: unknown[]) {
  const refs: number[] = [];
  let ref = 1000;
  for (const frame of frames) {
    totals.frames += 1;
    if (typeof frame === "object" && frame !== null) {
      ref += 1;
      refs.push(ref);
      socket.send({ ...frame, ref });
    } else socket.send(String(frame));
  }
  ref += 1;
  socket.send({ v: 1, type: "ping", ref });
  await socket.reply(ref, 10_000);
  const replies = new Map<number, number>();
  for (const frame of socket.queued) {
    if (frame.type === "error") {
      const code = String(frame.code);
      count(totals.codes, code);
      expect(code).not.toBe("internal");
      expect(KNOWN_CODES.has(code), code).toBe(true);
    }
    if (typeof frame.ref === "number" && frame.type !== "messages" && frame.type !== "delta") {
      replies.set(frame.ref, (replies.get(frame.ref) ?? 0) + 1);
    }
  }
  for (const sent of refs) expect(replies.get(sent) ?? 0, `replies to ref ${sent}`).toBe(1);
}

describe("fuzz: frames", () => {
  const frames = (types: string[]) =>
    fc.sample(fc.array(frameArbitrary(types), { minLength: 1, maxLength: 40 }), Math.max(2, Math.ceil(RUNS / 10)));

  it(
    "a channel answers every frame once, typed, and a well-behaved client keeps working",
    async () => {
      const project = await createProject();
      const channel = uniqueChannel("fuzz");
      const good = await joinChannel(channel, { query: { api_key: project.keys.public, client_id: "good" } });
      for (const batch of frames(typesOf(ChannelClientFrame as never))) {
        const fuzzer = await joinChannel(channel, { query: { api_key: project.keys.public } });
        await sendFrames(fuzzer.socket as never, batch);
        fuzzer.socket.close();
        expect(await good.socket.publish("ok", { n: 1 })).toMatchObject({ type: "ack" });
      }
      good.socket.close();
    },
    TIMEOUT_MS,
  );

  it(
    "a room answers every frame once, typed, and its owner keeps working",
    async () => {
      const project = await createProject();
      const room = uniqueRoom("fuzz");
      const owner = await create(project, room, "owner");
      for (const [index, batch] of frames(typesOf(RoomClientFrame as never)).entries()) {
        const fuzzer = await enter(project, room, `fuzzer${index}`);
        await sendFrames(fuzzer.socket as never, batch);
        fuzzer.socket.close();
        expect(await owner.socket.request({ type: "ping" })).toMatchObject({ type: "pong" });
        const state = await owner.socket.request({
          type: "state_update",
          id: `ok${index}`,
          ops: [{ op: "set", path: "ok", value: index }],
        });
        expect(state).toMatchObject({ type: "ack" });
      }
      owner.socket.close();
    },
    TIMEOUT_MS,
  );

  it(
    "a watcher answers every frame once, typed",
    async () => {
      const project = await createProject();
      const collection = uniqueCollection("fuzz");
      for (const batch of frames(typesOf(WatcherClientFrame as never))) {
        const socket = await connectWatcher(collection, project.keys.secret);
        await socket.next("hello");
        await sendFrames(
          socket as never,
          batch.filter((frame) => typeof frame !== "object" || (frame as { type?: unknown }).type !== "snapshot"),
        );
        socket.close();
      }
    },
    TIMEOUT_MS,
  );
});
