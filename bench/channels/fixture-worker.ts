/**
 * The channel benchmark's server: the real Flarebase Worker, plus the two baselines it is measured
 * against, all in one local workerd so they share the same runtime and machine:
 * - `PartyRoom`: a minimal partyserver broadcast room (hibernation on), what most DO chat apps use;
 * - `BareRoom`: the least a Durable Object can do, accept hibernatable sockets and send every
 *   message to every socket.
 * Neither baseline stores, sequences, dedups or validates anything; Flarebase does all four.
 */
import { DurableObject } from "cloudflare:workers";
import { routePartykitRequest, Server } from "partyserver";
import app, { ChannelObject, CollectionWatcherObject, RoomObject } from "../../worker/index";

export { ChannelObject, CollectionWatcherObject, RoomObject };

interface BenchEnv extends Env {
  PARTY_ROOM: DurableObjectNamespace;
  BARE_ROOM: DurableObjectNamespace<BareRoom>;
}

/** Minimal partyserver broadcast room: every message goes to every connection, the sender included. */
export class PartyRoom extends Server {
  static override options = { hibernate: true };

  override onMessage(_connection: unknown, message: string | ArrayBuffer) {
    this.broadcast(message);
  }
}

/** The bare loop: accept, and on each message send it to every socket. */
export class BareRoom extends DurableObject {
  override async fetch(): Promise<Response> {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override webSocketMessage(_ws: WebSocket, message: string | ArrayBuffer) {
    for (const socket of this.ctx.getWebSockets()) socket.send(message);
  }
}

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/parties/")) {
      return (
        (await routePartykitRequest(request, env as unknown as Record<string, unknown>)) ??
        new Response("no room", { status: 404 })
      );
    }
    if (pathname.startsWith("/bare/")) {
      return env.BARE_ROOM.get(env.BARE_ROOM.idFromName(pathname.slice("/bare/".length))).fetch(request);
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
