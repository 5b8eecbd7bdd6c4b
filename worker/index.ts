import { pruneAccounts } from "../data/accounts/prune";
import { countsRoundTrips, ROUND_TRIPS_HEADER, roundTrips, withRoundTripCounter } from "../data/d1/round-trips";
import { app } from "./app";
import { sweepStorage } from "./routes/storage-sweep";
import { fetchSiteOrApi } from "./sites/dispatch";

export { ChannelObject } from "../durable-objects/channel/channel";
export { EndpointLimiterObject } from "../durable-objects/endpoint-limiter/endpoint-limiter";
export { RoomObject } from "../durable-objects/room/room";
export { TunnelObject } from "../durable-objects/tunnel/tunnel";
export { UploadObject } from "../durable-objects/upload/upload";
export { CollectionWatcherObject } from "../durable-objects/watcher/collection-watcher";
export type { App } from "./app";

/** Where the isolate's round-trip tally is read when `COUNT_D1_ROUND_TRIPS` is on (data/d1/round-trips.ts). */
const ROUND_TRIPS_PATH = "/__round-trips";

/** The app, counting each request's D1 round trips (tests and `npm run bench -- round-trips` only). */
async function countedFetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  if (new URL(request.url).pathname === ROUND_TRIPS_PATH) return Response.json(roundTrips());
  let trips = 0;
  const response = await fetchSiteOrApi(
    request,
    withRoundTripCounter(env, () => trips++),
    ctx,
    app.fetch,
  );
  // Responses of R2 and of Durable Objects have immutable headers: copy, keeping the socket.
  const headers = new Headers(response.headers);
  headers.set(ROUND_TRIPS_HEADER, String(trips));
  return new Response(response.status === 101 ? null : response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
    webSocket: response.webSocket,
  });
}

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    countsRoundTrips(env) ? countedFetch(request, env, ctx) : fetchSiteOrApi(request, env, ctx, app.fetch),
  // Hourly (wrangler.toml [triggers]): removes file bytes no row names any more, and account rows
  // nothing reads again (ended sessions, spent tokens, old rate-limit windows).
  scheduled: async (_controller, env, ctx) => {
    ctx.waitUntil(sweepStorage(withRoundTripCounter(env)));
    ctx.waitUntil(pruneAccounts(env.DB));
  },
} satisfies ExportedHandler<Env>;
