import { app } from "./app";
import { sweepStorage } from "./routes/storage-sweep";

export { ChannelObject } from "../durable-objects/channel/channel";
export { RoomObject } from "../durable-objects/room/room";
export { UploadObject } from "../durable-objects/upload/upload";
export { CollectionWatcherObject } from "../durable-objects/watcher/collection-watcher";
export type { App } from "./app";

export default {
  fetch: app.fetch,
  // Hourly (wrangler.toml [triggers]): removes file bytes no row names any more.
  scheduled: async (_controller, env, ctx) => ctx.waitUntil(sweepStorage(env)),
} satisfies ExportedHandler<Env>;
