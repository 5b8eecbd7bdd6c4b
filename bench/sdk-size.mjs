/**
 * SDK bundle size: what each client library costs a browser app that imports and constructs
 * its main client. Every entry is bundled in memory by esbuild with the same settings (ESM,
 * browser platform, minified, tree-shaken, production defines) and gzipped at level 9.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ROOT } from "../scripts/local-worker.mjs";

export const name = "sdk-size";
export const description = "SDK bundle size: minified and gzipped (level 9) ESM for the browser, same esbuild settings";

/**
 * One entry per library. Exporting the constructed client keeps it (and what its constructor
 * reaches) alive through tree-shaking, as an app that uses it would.
 */
const ENTRIES = [
  {
    library: "flarebase (ours)",
    package: null,
    uses: "createClient",
    source: `import { createClient } from "./sdk/index.ts";
export const client = createClient({ url: "https://flarebase.example" });`,
  },
  {
    // The realtime core on its own: a reconnecting, resuming socket and one channel (what a page
    // that only listens to announcements ships), the closest match to partysocket.
    library: "flarebase (ours)",
    package: null,
    uses: "ProjectBroadcast",
    source: `import { ProjectBroadcast } from "./sdk/index.ts";
export const broadcast = new ProjectBroadcast("pk_demo", "user-1", "Ann", { url: "https://flarebase.example" });`,
  },
  {
    // Storage is opt-in (storage(client)): createClient above carries none of it, this row all of
    // it, and the row after it is the difference: storage's own cost.
    library: "flarebase (ours)",
    package: null,
    uses: "createClient + storage",
    source: `import { createClient, storage } from "./sdk/index.ts";
export const bucket = storage(createClient({ url: "https://flarebase.example" })).bucket("files");`,
  },
  {
    // Page meta is opt-in too (pageMeta(client), for servers with a secret key).
    library: "flarebase (ours)",
    package: null,
    uses: "createClient + pageMeta",
    source: `import { createClient, pageMeta } from "./sdk/index.ts";
export const meta = pageMeta(createClient({ url: "https://flarebase.example" }));`,
  },
  {
    library: "partysocket",
    package: "partysocket",
    uses: "PartySocket",
    source: `import { PartySocket } from "partysocket";
export const socket = new PartySocket({ host: "example.com", room: "room" });`,
  },
  {
    library: "pocketbase",
    package: "pocketbase",
    uses: "PocketBase",
    source: `import PocketBase from "pocketbase";
export const client = new PocketBase("https://pocketbase.example");`,
  },
  {
    library: "supabase-js",
    package: "@supabase/supabase-js",
    uses: "createClient",
    source: `import { createClient } from "@supabase/supabase-js";
export const client = createClient("https://project.supabase.co", "anon-key");`,
  },
];

function versionOf(pkg) {
  const path = pkg ? join(ROOT, "node_modules", pkg, "package.json") : join(ROOT, "package.json");
  return JSON.parse(readFileSync(path, "utf8")).version;
}

/** Bundles one entry in memory and returns its minified and gzipped sizes in bytes. */
async function measure(entry) {
  const result = await build({
    stdin: { contents: entry.source, resolveDir: ROOT, sourcefile: `${entry.library}-entry.js`, loader: "js" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    treeShaking: true,
    legalComments: "none",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
}

const ratio = (value, base) => `${(value / base).toFixed(1)}×`;

/** @returns {Promise<Record<string, string | number>[]>} one row per library, ours first */
export async function run() {
  const measured = [];
  for (const entry of ENTRIES) measured.push({ entry, ...(await measure(entry)) });
  const ours = measured[0];
  const withStorage = measured.find(({ entry }) => entry.uses === "createClient + storage");
  measured.splice(measured.indexOf(withStorage) + 1, 0, {
    entry: { library: "flarebase (ours)", package: null, uses: "storage alone (the difference)" },
    minified: withStorage.minified - ours.minified,
    gzipped: withStorage.gzipped - ours.gzipped,
  });
  return measured.map(({ entry, minified, gzipped }) => ({
    library: entry.library,
    version: versionOf(entry.package),
    uses: entry.uses,
    "min bytes": minified,
    "gzip bytes": gzipped,
    "min vs ours": ratio(minified, ours.minified),
    "gzip vs ours": ratio(gzipped, ours.gzipped),
  }));
}
