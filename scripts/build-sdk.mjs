// Builds the browser SDK (`npm run build`):
// - dist/sdk/index.js (+ .map): readable ESM bundle, what `import "flarebase"` loads;
// - dist/types/**/*.d.ts: declarations from `tsc -p sdk/tsconfig.build.json` (sdk/ and the
//   core/ contract it imports);
// - public/sdk.js (+ .map): the same bundle minified, served by the Worker's assets at GET /sdk.js
//   (scripts/sdk-bundle.mjs: written only when its bytes change, so a running `npm run dev` keeps
//   its sockets);
// - dist/cli/flarebase.js: the command-line tool (package.json "bin"), bundled for Node.
// Prints the minified and gzipped size of public/sdk.js, the number the SDK budget is about.
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { BROWSER_BUNDLE, SDK_BUILD_OPTIONS, writeBrowserBundle } from "./sdk-bundle.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const started = performance.now();

// The output folders are published whole (package.json "files"): nothing stale may stay behind.
await Promise.all(
  ["dist/sdk", "dist/types", "dist/cli"].map((dir) => rm(`${root}${dir}`, { recursive: true, force: true })),
);

// tsc runs as its own process meanwhile: declarations and bundles do not depend on each other.
const tsc = promisify(execFile)(
  process.execPath,
  [`${root}node_modules/typescript/bin/tsc`, "-p", "sdk/tsconfig.build.json"],
  {
    cwd: root,
  },
).catch((error) => {
  process.stderr.write(`${error.stdout ?? ""}${error.stderr ?? ""}`);
  throw new Error("tsc -p sdk/tsconfig.build.json failed (declarations for dist/types); see the errors above.");
});

await Promise.all([
  build({ ...SDK_BUILD_OPTIONS, outfile: "dist/sdk/index.js" }),
  writeBrowserBundle(),
  build({
    ...SDK_BUILD_OPTIONS,
    entryPoints: ["cli/index.ts"],
    platform: "node",
    target: "node22",
    sourcemap: false,
    splitting: true,
    outdir: "dist/cli",
    entryNames: "flarebase",
    chunkNames: "[name]-[hash]",
    banner: { js: "#!/usr/bin/env node" },
  }),
  tsc,
]);

const minified = await readFile(BROWSER_BUNDLE);
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
console.log(
  `SDK built in ${Math.round(performance.now() - started)} ms: public/sdk.js ${kb(minified.length)} minified, ${kb(gzipSync(minified, { level: 9 }).length)} gzipped; dist/sdk/index.js + dist/types`,
);
