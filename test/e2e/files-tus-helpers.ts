// Helpers of the tus e2e tests: a bucket for a fresh project, a TCP proxy that cuts connections
// at given byte counts (a real network failure between tus-js-client and the worker), and the
// sha-256 of a download.
import { createHash } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import { testBytes as patternBytes } from "../test-bytes";
import { baseUrl, createTestProject } from "./helpers";

/** A fresh project with a bucket `media` (secret-key access); returns its secret key. */
export async function projectWithBucket(bucket = "media"): Promise<{ secret: string; projectId: string }> {
  const { project } = await createTestProject();
  const response = await fetch(`${baseUrl()}/v1/storage/buckets`, {
    method: "POST",
    headers: { "X-API-Key": project.keys.secret, "Content-Type": "application/json" },
    body: JSON.stringify({ name: bucket }),
  });
  if (response.status !== 201) throw new Error(`create bucket: ${response.status} ${await response.text()}`);
  return { secret: project.keys.secret, projectId: project.id };
}

export interface CuttingProxy {
  /** Where to send requests instead of the worker, e.g. `http://127.0.0.1:41235`. */
  url: string;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `target` that forwards everything, and each time the bytes sent
 * towards the worker pass one of `cutAt` (counted over all connections), forwards only up to
 * that byte and then destroys both sides: the request in flight is cut mid-body.
 */
export async function cuttingProxy(target: string, cutAt: number[]): Promise<CuttingProxy> {
  const { hostname, port } = new URL(target);
  const pending = [...cutAt].sort((a, b) => a - b);
  const sockets = new Set<Socket>();
  let forwarded = 0;
  let cuts = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("data", (data: Buffer) => {
      const next = pending[0];
      if (next !== undefined && forwarded + data.length >= next) {
        pending.shift();
        cuts++;
        const keep = next - forwarded;
        forwarded = next;
        upstream.write(data.subarray(0, keep), drop);
        return;
      }
      forwarded += data.length;
      if (!upstream.write(data)) client.pause();
    });
    upstream.on("drain", () => client.resume());
    upstream.on("data", (data: Buffer) => {
      if (!client.write(data)) upstream.pause();
    });
    client.on("drain", () => upstream.resume());
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("cuttingProxy: no address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** {@link patternBytes} as a Buffer (what node:fs and node:crypto callers here expect). */
export function testBytes(size: number, seed = 1): Buffer {
  const bytes = patternBytes(size, seed);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Downloads a file (GET …/objects/<path>) and hashes it as it streams. */
export async function downloadSha256(
  bucket: string,
  path: string,
  secret: string,
): Promise<{ sha: string; size: number }> {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  const response = await fetch(`${baseUrl()}/v1/storage/buckets/${bucket}/objects/${encoded}`, {
    headers: { "X-API-Key": secret },
  });
  if (response.status !== 200 || !response.body)
    throw new Error(`download: ${response.status} ${await response.text()}`);
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of response.body) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha: hash.digest("hex"), size };
}
