// Starts the real test upstream (test/upstream/server.mjs) in Node for the workerd tests: the
// Worker under test fetches it over loopback, so what the proxy forwards is what a real server
// receives. Tests reach its URL with `inject("upstreamUrl")`.
import type { TestProject } from "vitest/node";
import { startUpstream } from "../upstream/server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    /** The test upstream, e.g. `http://127.0.0.1:41234`. */
    upstreamUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const upstream = await startUpstream();
  project.provide("upstreamUrl", upstream.url);
  return () => upstream.close();
}
