// The files of a built web app as a release's manifest: every regular file under the folder, by
// its path from the folder (`/assets/app.3f9a.js`), with its SHA-256, size and content type.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { ManifestEntry } from "../core/sites/wire.js";
import { contentTypeOf } from "./content-types.js";
import { CliError, EXIT } from "./exit.js";

export interface LocalFile extends ManifestEntry {
  /** Where it is on disk. */
  file: string;
}

/** Files hashed at once (each streams; this bounds open files, not memory). */
const HASH_CONCURRENCY = 16;

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(path)).isFile())) yield path;
  }
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });
}

/** Runs `work` over `items` with at most `limit` at a time, in order of the results. */
export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The manifest of `dir`.
 *
 * @throws {CliError} `EXIT.usage` when `dir` is not a folder or holds no file.
 */
export async function readSiteFiles(dir: string): Promise<LocalFile[]> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new CliError(`${dir} is not a folder (the built app, e.g. ./dist)`, EXIT.usage);
  const paths: string[] = [];
  for await (const file of walk(dir)) paths.push(file);
  if (paths.length === 0) throw new CliError(`${dir} holds no file`, EXIT.usage);
  return mapLimit(paths, HASH_CONCURRENCY, async (file) => {
    const path = `/${relative(dir, file).split(sep).join("/")}`;
    return {
      file,
      path,
      hash: await sha256Of(file),
      size: (await stat(file)).size,
      content_type: contentTypeOf(path),
    };
  });
}
