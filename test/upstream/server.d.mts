/** The test upstream of test/upstream/server.mjs. */
export interface Upstream {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** What happened to the request sent with `?id=<requestId>`: "received", "finished", "aborted", … */
  events(requestId: string): string[];
  close(): Promise<void>;
}

export function startUpstream(options?: { port?: number }): Promise<Upstream>;

/** The byte at offset `i` of every `/bytes` body. */
export function byteAt(i: number): number;

/** The PNG `/view` serves. */
export const RESULT_PNG: Uint8Array;
