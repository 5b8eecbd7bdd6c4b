/**
 * The browser bundle public/sdk.js (+ .map), which the Worker serves at GET /sdk.js: built by
 * `npm run build`, and by the dev-loop e2e test the same way.
 *
 * public/ is wrangler dev's assets directory, which it watches: any write there reloads the
 * local server and drops every open WebSocket, even a write of the same bytes. So a file is
 * written only when its bytes changed, and rebuilding (every `npm test`, `npm run bench`,
 * `npm run test:browser` runs the build) leaves a running `npm run dev` and its sockets alone.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/** @type {import("esbuild").BuildOptions} the settings every SDK bundle shares */
export const SDK_BUILD_OPTIONS = {
  absWorkingDir: root,
  entryPoints: ["sdk/index.ts"],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
};

/** The bundle's path, absolute. */
export const BROWSER_BUNDLE = `${root}public/sdk.js`;

/**
 * Builds the minified bundle into public/ and writes only the files whose bytes changed.
 * @returns {Promise<{ bundle: Uint8Array, written: string[] }>} the bundle's bytes and the paths written
 */
export async function writeBrowserBundle() {
  const result = await build({ ...SDK_BUILD_OPTIONS, outfile: BROWSER_BUNDLE, minify: true, write: false });
  const written = [];
  for (const file of result.outputFiles) {
    const current = await readFile(file.path).catch(() => null);
    if (current?.equals(file.contents)) continue;
    await writeFile(file.path, file.contents);
    written.push(file.path);
  }
  const bundle = result.outputFiles.find((file) => file.path === BROWSER_BUNDLE)?.contents;
  if (!bundle) throw new Error(`esbuild produced no ${BROWSER_BUNDLE}`);
  return { bundle, written };
}
