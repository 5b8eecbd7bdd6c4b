/**
 * Counts D1 round trips: every `first`, `all`, `run`, `raw`, `batch` and `exec` on the binding is
 * one trip to the database (deployed: from the edge location to the primary or a replica, often
 * tens of milliseconds). Installed only when the `COUNT_D1_ROUND_TRIPS` switch is set (the tests'
 * and `npm run bench -- round-trips`' servers), around the real binding, so what is counted is
 * what the code really calls; without the switch the binding is used as it is.
 *
 * Two views: each REST response carries `X-D1-Round-Trips`, the trips the Worker made for it
 * (worker/index.ts), exact whatever else runs; and one tally per isolate, read through
 * `GET /__round-trips`, which also holds the trips Durable Objects make (locally the Worker and
 * its objects share an isolate), for socket upgrades. Both exist only with the switch on.
 *
 * @module
 */

/** The switch, a plain var (`--var COUNT_D1_ROUND_TRIPS:1`, or a miniflare binding in tests). */
export interface RoundTripSwitch {
  COUNT_D1_ROUND_TRIPS?: string;
}

/** The header that carries, with the switch on, the D1 round trips the Worker made for a response. */
export const ROUND_TRIPS_HEADER = "X-D1-Round-Trips";

/** One round trip: the method and the start of its first statement, to tell them apart. */
export interface RoundTrip {
  method: "first" | "all" | "run" | "raw" | "batch" | "exec";
  sql: string;
  /** Statements in the trip (a batch holds several). */
  statements: number;
}

const tally: RoundTrip[] = [];
/** The last trips kept, enough to show where one request's trips go. */
const KEPT = 1000;
let total = 0;

/** The trips so far in this isolate: the count, and the latest trips themselves. */
export function roundTrips(): { total: number; recent: readonly RoundTrip[] } {
  return { total, recent: tally };
}

function record(trip: RoundTrip) {
  total++;
  tally.push(trip);
  if (tally.length > KEPT) tally.splice(0, tally.length - KEPT);
}

const originals = new WeakMap<object, D1PreparedStatement>();
const sqlOf = new WeakMap<object, string>();
const short = (sql: string) => sql.replace(/\s+/g, " ").trim().slice(0, 200);

/** Where a counted binding reports each trip. */
type Sink = (trip: RoundTrip) => void;

function countedStatement(statement: D1PreparedStatement, sql: string, sink: Sink): D1PreparedStatement {
  const trip =
    (method: RoundTrip["method"]) =>
    (...args: unknown[]) => {
      sink({ method, sql: short(sql), statements: 1 });
      return (statement[method as "all"] as (...a: unknown[]) => unknown).apply(statement, args);
    };
  const wrapped = {
    bind: (...values: unknown[]) => countedStatement(statement.bind(...values), sql, sink),
    first: trip("first"),
    all: trip("all"),
    run: trip("run"),
    raw: trip("raw"),
  } as unknown as D1PreparedStatement;
  originals.set(wrapped, statement);
  sqlOf.set(wrapped, sql);
  return wrapped;
}

/** The real statements of a batch (the binding accepts only its own). */
function unwrapAll(statements: D1PreparedStatement[]): D1PreparedStatement[] {
  return statements.map((s) => originals.get(s) ?? s);
}

function countedBatch(batch: (statements: D1PreparedStatement[]) => Promise<D1Result[]>, sink: Sink) {
  return <T = unknown>(statements: D1PreparedStatement[]) => {
    sink({ method: "batch", sql: short(sqlOf.get(statements[0] as object) ?? ""), statements: statements.length });
    return batch(unwrapAll(statements)) as Promise<D1Result<T>[]>;
  };
}

function countedSession(session: D1DatabaseSession, sink: Sink): D1DatabaseSession {
  return {
    prepare: (sql: string) => countedStatement(session.prepare(sql), sql, sink),
    batch: countedBatch((statements) => session.batch(statements), sink),
    getBookmark: () => session.getBookmark(),
  } as D1DatabaseSession;
}

/** `db`, reporting every round trip it makes to `sink` and to the isolate's tally. */
export function countRoundTrips(db: D1Database, sink?: Sink): D1Database {
  const report: Sink = (trip) => {
    record(trip);
    sink?.(trip);
  };
  return {
    prepare: (sql: string) => countedStatement(db.prepare(sql), sql, report),
    batch: countedBatch((statements) => db.batch(statements), report),
    exec: (sql: string) => {
      report({ method: "exec", sql: short(sql), statements: 1 });
      return db.exec(sql);
    },
    withSession: (constraint?: string) => countedSession(db.withSession(constraint), report),
    dump: () => db.dump(),
  } as D1Database;
}

/** True when the switch is on. */
export function countsRoundTrips(env: object): boolean {
  return Boolean((env as RoundTripSwitch).COUNT_D1_ROUND_TRIPS);
}

/** `env` with its D1 binding counted when the switch is on (`sink` sees each trip); `env` itself otherwise. */
export function withRoundTripCounter<E extends { DB: D1Database }>(env: E, sink?: Sink): E {
  if (!countsRoundTrips(env)) return env;
  return { ...env, DB: countRoundTrips(env.DB, sink) };
}
