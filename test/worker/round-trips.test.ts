import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connectChannel, type TestSocket } from "./channel-helpers";
import { as, expectStatus, setRules } from "./documents-helpers";
import { credentials as fileCredentials, objectPath, patchBucket, storageProject, upload } from "./files-helpers";
import { api, createProject, mintToken, type TestProject } from "./helpers";
import { create as createRoom, enter, uniqueRoom } from "./room-helpers";
import { connectWatcher } from "./watcher-helpers";

/**
 * D1 round trips per request kind, counted on the real binding (data/d1/round-trips.ts; the
 * workers project turns the counter on). Deployed, each trip is a trip from the edge to the
 * database, so these counts are pinned exactly: a change that adds one fails here. The same table
 * is printed by `npm run bench -- round-trips` and kept in docs/development.md.
 */

const HEADER = "X-D1-Round-Trips";

/** The trips the Worker made for one REST response (it must have succeeded). */
async function tripsOf(response: Response | Promise<Response>): Promise<number> {
  const resolved = await response;
  const body = await resolved.text();
  if (resolved.status >= 300) throw new Error(`HTTP ${resolved.status}: ${body}`);
  return Number(resolved.headers.get(HEADER));
}

/** The isolate's tally (Worker and objects together). */
async function tally(): Promise<number> {
  const response = await exports.default.fetch("https://flarebase.test/__round-trips");
  return ((await response.json()) as { total: number }).total;
}

/**
 * Waits until nothing touches D1 any more (work an earlier step left running: a room's directory
 * write, a watcher's delivery), so the tally around the next step holds that step's trips only.
 */
async function quiet(): Promise<number> {
  let last = await tally();
  for (let still = 0; still < 3; ) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    const now = await tally();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

/**
 * The trips of a socket upgrade: the Worker's (on the 101) and all of them, the object's
 * included, once it has sent its first frames (`ready`) and stopped touching D1.
 */
async function socketTrips<S extends TestSocket<{ type: string }>>(
  open: () => Promise<S>,
  ready: (socket: S) => Promise<unknown>,
): Promise<{ worker: number; total: number }> {
  const before = await quiet();
  const socket = await open();
  await ready(socket);
  const total = (await quiet()) - before;
  const worker = Number(socket.response.headers.get(HEADER));
  socket.ws.close(1000);
  return { worker, total };
}

const OPEN_RULES = { read: "true", list: "true", create: "true", update: "true", delete: "true" };

/**
 * A project with a document, whose public key has made one request: the counts below are those of
 * an isolate that has seen the key and the rules once (what every request after the first pays).
 */
async function documentProject(): Promise<{ project: TestProject; pub: ReturnType<typeof as> }> {
  const project = await createProject();
  const secret = as(project.keys.secret);
  await setRules(secret, "notes", OPEN_RULES);
  await expectStatus(secret.post("/v1/collections/notes/documents", { id: "a", data: { n: 1 } }), 201);
  const pub = as(project.keys.public);
  await expectStatus(pub.get("/v1/collections/notes/documents/a"), 200);
  return { project, pub };
}

describe("D1 round trips per request", () => {
  it("documents, with a public key (rules apply)", async () => {
    const { pub } = await documentProject();
    const counts = {
      "get by id": await tripsOf(pub.get("/v1/collections/notes/documents/a")),
      "filtered list": await tripsOf(pub.get("/v1/collections/notes/documents?filter=n%20%3E%200")),
      create: await tripsOf(pub.post("/v1/collections/notes/documents", { data: { n: 2 } })),
      "update with If-Match": await tripsOf(
        pub.patch("/v1/collections/notes/documents/a", { data: { n: 3 } }, { "If-Match": "1" }),
      ),
      batch: await tripsOf(
        pub.post("/v1/collections/notes/batch", {
          operations: [
            { op: "create", data: { n: 4 } },
            { op: "update", id: "a", data: { n: 5 } },
          ],
        }),
      ),
      count: await tripsOf(pub.get("/v1/collections/notes/count?n_gt=0")),
      aggregate: await tripsOf(pub.get("/v1/collections/notes/aggregate?operation=sum&field=n")),
    };
    // One trip each: the key's standing, the rules and the operation in one batch. An update (and
    // a batch that updates) reads the stored document first: a merge, an increment or a rule over
    // `doc` needs it before the write can be computed, so the write is a second batch.
    expect(counts).toEqual({
      "get by id": 1,
      "filtered list": 1,
      create: 1,
      "update with If-Match": 2,
      batch: 2,
      count: 1,
      aggregate: 1,
    });
  });

  it("documents, with a user token", async () => {
    const { project } = await documentProject();
    const user = as((await mintToken(project)).token);
    await expectStatus(user.get("/v1/collections/notes/documents/a"), 200);
    const counts = {
      "get by id": await tripsOf(user.get("/v1/collections/notes/documents/a")),
      create: await tripsOf(user.post("/v1/collections/notes/documents", { data: { n: 2 } })),
    };
    expect(counts).toEqual({ "get by id": 1, create: 1 });
  });

  it("an isolate's first create with a key pays for the key's lookup and the rules' read", async () => {
    const project = await createProject();
    await setRules(as(project.keys.secret), "notes", OPEN_RULES);
    const pub = as(project.keys.public);
    expect(await tripsOf(pub.post("/v1/collections/notes/documents", { data: { n: 1 } }))).toBe(3);
    expect(await tripsOf(pub.post("/v1/collections/notes/documents", { data: { n: 1 } }))).toBe(1);
  });

  it("realtime", async () => {
    const { project } = await documentProject();
    const pub = project.keys.public;
    const protocols = ["flarebase.v1", `flarebase.key.${pub}`];
    const room = uniqueRoom();
    const owner = await createRoom(project, room, "owner");
    const counts = {
      "channel upgrade": await socketTrips(
        () => connectChannel(`c:${crypto.randomUUID().slice(0, 8)}`, { protocols }),
        (socket) => socket.next("hello"),
      ),
      "REST publish": await tripsOf(
        api("/v1/channels/news/messages", {
          method: "POST",
          headers: { "X-API-Key": pub },
          json: { name: "m", data: 1 },
        }),
      ),
      "room join": await socketTrips(
        async () => (await enter(project, room, "guest")).socket,
        async () => {},
      ),
      "watcher subscribe": await socketTrips(
        () => connectWatcher("notes", pub, { snapshot: "true" }),
        (socket) => socket.next("synced"),
      ),
    };
    owner.socket.ws.close(1000);
    expect(counts).toEqual({
      "channel upgrade": { worker: 1, total: 1 },
      "REST publish": 1,
      // The room writes its directory row (participant count) after the hello, off the join's path.
      "room join": { worker: 1, total: 2 },
      "watcher subscribe": { worker: 1, total: 4 },
    });
  });

  it("files, with a user token", async () => {
    const { project, user } = await storageProject();
    await patchBucket(project, "files", { rules: { read: "true", create: "true", update: "true", delete: "true" } });
    await api("/v1/storage/buckets/files/objects", { headers: fileCredentials(user) });
    const counts = {
      upload: await tripsOf(upload(user, "files", "a.txt", "hello")),
      GET: await tripsOf(api(objectPath("files", "a.txt"), { headers: fileCredentials(user) })),
      list: await tripsOf(api("/v1/storage/buckets/files/objects", { headers: fileCredentials(user) })),
    };
    expect(counts).toEqual({ upload: 3, GET: 2, list: 3 });
  });
});
