import { z } from "zod";
import { COLLECTION_NAME } from "../../core/documents/names";
import type { CollectionRules } from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import { OP_BITS } from "../../core/protocol/capabilities";
import { type ConnectParams, connectRequest } from "../../core/protocol/connect-params";
import {
  DEFAULT_SNAPSHOT_LIMIT,
  MAX_SNAPSHOT_LIMIT,
  MAX_WATCH_CLAIMS_BYTES,
  type WatchConnect,
  watcherObjectName,
} from "../../core/protocol/watcher";
import { formatFilter, parseListFilter } from "../../core/query";
import { selectSettings } from "../../data/documents/collection-settings";
import type { AuthContext } from "../auth/auth-context";
import { ConnectQuery, parseUpgradeQuery } from "./realtime-query";
import type { SocketCaller } from "./realtime-upgrade";

/**
 * Query parameters of a watcher upgrade that are not filters: credentials, the client id, the
 * resume position and the snapshot request (`limit` is a reserved list parameter already). To
 * filter on a field with one of these names, use the `filter=` expression.
 */
const CONNECTION_PARAMS = ["api_key", "access_token", "client_id", "since_seq", "snapshot"];

const SNAPSHOT_LIMIT_ERROR = `limit (the snapshot's size) must be an integer from 1 to ${MAX_SNAPSHOT_LIMIT}.`;

/**
 * The query of a watcher upgrade, besides the connection's (./realtime-query.ts): the snapshot
 * request. Every other parameter is a filter, in either syntax of the documents API.
 */
export const WatchUpgradeQuery = z.looseObject({
  ...ConnectQuery.shape,
  filter: z.string().optional().meta({ description: "A filter expression (docs/filter-language.md)." }),
  snapshot: z
    .enum(["", "true", "1", "false", "0"], { error: "snapshot must be true or false." })
    .optional()
    .transform((value) => value === "" || value === "true" || value === "1")
    .meta({ description: "Send the matching documents first (`snapshot` alone means true)." }),
  limit: z
    .string()
    .regex(/^\d{0,6}$/, SNAPSHOT_LIMIT_ERROR)
    .optional()
    .transform((text) => (text === undefined || text === "" ? DEFAULT_SNAPSHOT_LIMIT : Number(text)))
    .pipe(z.number().min(1, SNAPSHOT_LIMIT_ERROR).max(MAX_SNAPSHOT_LIMIT, SNAPSHOT_LIMIT_ERROR))
    .meta({ description: `The snapshot's size, 1 to ${MAX_SNAPSHOT_LIMIT} (default ${DEFAULT_SNAPSHOT_LIMIT}).` }),
});

/** What a watcher upgrade reads with the caller's standing: the collection's rules (none for a secret key). */
export function watchReads(auth: AuthContext, db: D1Database, collection: string): D1PreparedStatement[] {
  return auth.kind === "secret" ? [] : [selectSettings(db, auth.projectId, collection)];
}

/** Refuses a collection name that cannot exist, before credentials are looked at. */
export function checkWatchedCollection(collection: string): void {
  if (!COLLECTION_NAME.test(collection)) {
    throw new ApiError(
      "invalid_collection",
      `"${collection.slice(0, 100)}" is not a collection name: a letter, then letters, digits, _ or - (at most 64).`,
    );
  }
}

/**
 * `GET /v1/realtime/collections/:collection`, after authentication: checks the filter and that the
 * caller may watch (a secret key, or a collection with a read rule), then hands the socket to the
 * collection's watcher object.
 */
export async function openWatcher(
  env: Env,
  collection: string,
  caller: SocketCaller,
  read: readonly D1Result[],
): Promise<Response> {
  const { auth, query } = caller;
  const filter = watchFilter(query);
  if (auth.kind !== "secret") {
    const rules = JSON.parse((read[0]?.results[0] as { rules: string } | undefined)?.rules ?? "{}") as CollectionRules;
    if (!rules.read) {
      throw new ApiError(
        "forbidden",
        `Collection "${collection}" has no read rule, so only secret keys may watch it. Set one with PUT /v1/collections/${collection}/rules (secret key).`,
        { collection, operation: "read" },
      );
    }
  }
  if (JSON.stringify(auth.claims).length > MAX_WATCH_CLAIMS_BYTES) {
    throw new ApiError(
      "invalid_request",
      `The token's claims are larger than the ${MAX_WATCH_CLAIMS_BYTES} bytes a watcher keeps per connection; mint a token with fewer claims.`,
    );
  }
  const { snapshot, limit } = parseUpgradeQuery(WatchUpgradeQuery, query);
  const extra: WatchConnect = { filter, role: auth.role, claims: auth.claims, snapshot, snapshot_limit: limit };
  const params: ConnectParams = { ...caller.params, name: collection, ops: OP_BITS.subscribe, epoch: null, extra };
  const namespace = env.COLLECTION_WATCHER;
  const stub = namespace.get(namespace.idFromName(watcherObjectName(auth.projectId, collection)));
  return stub.fetch(connectRequest(params));
}

/** The subscription's filter (either syntax, as for lists), normalized; null for none. */
function watchFilter(query: URLSearchParams): string | null {
  const filterQuery = new URLSearchParams(query);
  for (const name of CONNECTION_PARAMS) filterQuery.delete(name);
  // A bad filter throws `invalid_filter`, which refuses the socket (close code 4000).
  const node = parseListFilter(filterQuery);
  return node.kind === "const" && node.value ? null : formatFilter(node);
}
