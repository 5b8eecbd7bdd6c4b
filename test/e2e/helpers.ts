// Shared helpers for e2e tests: clients for the server started by global-setup.ts, test projects,
// and local sockets for failure paths. Everything goes through the SDK source in sdk/.
import { createServer, type Socket } from "node:net";
import { inject } from "vitest";
import {
  type AdminClient,
  type ClientOptions,
  type CreatedProject,
  createAdminClient,
  createClient,
  type FlarebaseClient,
} from "../../sdk/index";
import { cuttableWebSocket } from "./channels-helpers";
import { freePort } from "./global-setup";
import { validatedFetch } from "./validated-fetch";

/** The base URL of the worker under test. */
export const baseUrl = (): string => inject("baseUrl");

/** An admin client for the worker under test; its responses are checked against /openapi.json. */
export const adminClient = (): AdminClient =>
  createAdminClient({ url: baseUrl(), adminToken: inject("adminToken"), fetch: validatedFetch });

/**
 * A client for the worker under test; `url` defaults to it, and `WebSocket` to one that parses
 * every server frame strictly against its schema (channels-helpers.ts), so every realtime test
 * checks the frames it receives; `fetch` checks every REST response against /openapi.json
 * (validated-fetch.ts).
 */
export const clientFor = (options: Partial<ClientOptions> = {}): FlarebaseClient =>
  createClient({ url: baseUrl(), WebSocket: cuttableWebSocket().WebSocket, fetch: validatedFetch, ...options });

export interface TestProject {
  project: CreatedProject;
  admin: AdminClient;
  /** Authenticated with the project's public key. */
  publicClient: FlarebaseClient;
  /** Authenticated with the project's secret key. */
  secretClient: FlarebaseClient;
}

/**
 * Creates a fresh project (unique name) through the admin SDK, with clients for its keys. Tests
 * never share a project, so they cannot see each other's data or revoked keys.
 */
export async function createTestProject(name = `e2e-${crypto.randomUUID().slice(0, 8)}`): Promise<TestProject> {
  const admin = adminClient();
  const project = await admin.projects.create({ name });
  return {
    project,
    admin,
    publicClient: clientFor({ key: project.keys.public }),
    secretClient: clientFor({ key: project.keys.secret }),
  };
}

/** A URL on 127.0.0.1 where nothing listens: connections are refused. */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * A TCP server that accepts connections and never answers: a deterministic "slow server".
 * `connected` resolves when the first client connection arrives.
 */
export async function silentServer(): Promise<{ url: string; connected: Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const { promise: connected, resolve } = Promise.withResolvers<void>();
  const server = createServer((socket) => {
    sockets.add(socket);
    resolve();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("silentServer: no address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    connected,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/**
 * A request body that sends `firstChunk` and then never ends, so the server waits for the rest:
 * a real slow request against the real worker. `started` resolves once the body is being sent.
 */
export function stalledBody(firstChunk = '{"user_id":'): { body: ReadableStream<Uint8Array>; started: Promise<void> } {
  const { promise: started, resolve } = Promise.withResolvers<void>();
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(new TextEncoder().encode(firstChunk));
        return;
      }
      // Asked for more: the first chunk went out. Never enqueue again, never close.
      resolve();
      return new Promise<void>(() => {});
    },
  });
  return { body, started };
}

/** Runs `fn` and returns what it rejected with; fails if it resolved. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to reject, but it resolved");
}
