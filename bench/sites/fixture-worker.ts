/**
 * The sites benchmark's server: the real Flarebase Worker (sites at `<site>--<project>.localhost`),
 * and the baseline: the same files served by Workers static assets, `GET /baseline/<path>` handed
 * to the ASSETS binding as `<path>`, in the same workerd.
 */
import app, { ChannelObject, CollectionWatcherObject, RoomObject, UploadObject } from "../../worker/index";

export { ChannelObject, CollectionWatcherObject, RoomObject, UploadObject };

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> | Response {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/baseline/")) {
      url.pathname = url.pathname.slice("/baseline".length);
      return env.ASSETS.fetch(new Request(url, request));
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
