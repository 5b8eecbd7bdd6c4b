// `flarebase deploy <dir> --site NAME`: uploads a built web app as a new release of a site and
// activates it. Content-addressed: the server answers which hashes it lacks and only those upload;
// the site switches to the new release in one step once every file is there.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { MAX_SITE_FILE_BYTES, SITE_NAME } from "../../core/sites/names.js";
import type { CreatedRelease, ReleaseDiff, ReleaseRecord, SiteRecord } from "../../core/sites/wire.js";
import { CONNECTION_HELP, type Connection, resolveConnection } from "../connection.js";
import { CliError, EXIT } from "../exit.js";
import { call } from "../http.js";
import { createProgress, formatBytes } from "../progress.js";
import { type LocalFile, mapLimit, readSiteFiles } from "../site-files.js";

const HELP = `Usage: flarebase deploy <dir> --site NAME [options]

Uploads the built app in <dir> (e.g. ./dist) as a new release of the site and activates it.
Only files the server does not have yet are uploaded; the site switches in one step.
The site is created (SPA mode on) if the project has none of that name.

Options:
  --site NAME         the site (default: $FLAREBASE_SITE)
  --dry-run           show what would be added, changed, removed and uploaded; change nothing
  --concurrency N     uploads at once (default 8)
  --retries N         attempts per request after the first, for network errors and 5xx (default 3)
${CONNECTION_HELP}
  -h, --help          this help

Exit codes: 0 deployed, 1 refused or failed, 2 bad arguments, 3 server unreachable or 5xx.
`;

interface Options {
  dir: string;
  site: string;
  dryRun: boolean;
  concurrency: number;
  attempts: number;
  connection: Connection;
}

function parseOptions(argv: string[]): Options | null {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${HELP}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals.length !== 1)
    throw new CliError(`deploy takes one folder, got ${positionals.length}\n\n${HELP}`, EXIT.usage);
  const site = values.site ?? process.env.FLAREBASE_SITE;
  if (!site) throw new CliError("no site: pass --site NAME or set FLAREBASE_SITE", EXIT.usage);
  if (!SITE_NAME.test(site)) {
    throw new CliError(`--site "${site}": 1-40 lowercase letters, digits or single hyphens`, EXIT.usage);
  }
  return {
    dir: positionals[0] as string,
    site,
    dryRun: values["dry-run"] ?? false,
    concurrency: positiveInteger(values.concurrency, "--concurrency", 8),
    attempts: positiveInteger(values.retries, "--retries", 3, 0) + 1,
    connection: resolveConnection(values),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      site: { type: "string" },
      "dry-run": { type: "boolean" },
      concurrency: { type: "string" },
      retries: { type: "string" },
      url: { type: "string" },
      "secret-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function positiveInteger(value: string | undefined, flag: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > 64) {
    throw new CliError(`${flag} must be a whole number from ${min} to 64, got "${value}"`, EXIT.usage);
  }
  return number;
}

export async function run(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!options) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const started = performance.now();
  const files = await readSiteFiles(options.dir);
  const tooBig = files.find((file) => file.size > MAX_SITE_FILE_BYTES);
  if (tooBig) {
    throw new CliError(
      `${tooBig.path} is ${formatBytes(tooBig.size)}; a site file may be ${formatBytes(MAX_SITE_FILE_BYTES)} at most`,
    );
  }
  if (!files.some((file) => file.path === "/index.html")) {
    process.stderr.write(`flarebase: warning: ${options.dir} has no index.html (the page / and SPA routes serve)\n`);
  }
  const manifest = files.map(({ path, hash, size, content_type }) => ({ path, hash, size, content_type }));
  const { connection, site, attempts } = options;
  const base = `/v1/sites/${site}`;

  if (options.dryRun) {
    const { body: diff } = await call<ReleaseDiff>(connection, "POST", `${base}/diff`, {
      json: { files: manifest },
      attempts,
    });
    printDiff(diff, files);
    return EXIT.ok;
  }

  const created = await ensureSite(connection, site, attempts);
  const { body: release } = await call<CreatedRelease>(connection, "POST", `${base}/releases`, {
    json: { files: manifest },
    attempts,
  });
  const uploaded = await upload(options, release, files);
  const { body: active } = await call<ReleaseRecord>(
    connection,
    "POST",
    `${base}/releases/${release.release.id}/activate`,
    {
      attempts,
    },
  );
  const { body: record } = await call<SiteRecord>(connection, "GET", base, { attempts });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `${created ? `Created site "${site}". ` : ""}Deployed release ${active.id} of "${site}": ` +
      `${uploaded.files} file(s) uploaded (${formatBytes(uploaded.bytes)}), ${files.length - uploaded.files} reused, ` +
      `${files.length} in all, in ${seconds} s.\n${record.url ? `${record.url}\n` : ""}`,
  );
  return EXIT.ok;
}

/** Creates the site when the project has none of that name; answers whether it did. */
async function ensureSite(connection: Connection, site: string, attempts: number): Promise<boolean> {
  try {
    await call(connection, "GET", `/v1/sites/${site}`, { attempts });
    return false;
  } catch (error) {
    if (!(error instanceof CliError) || !/\(not_found,/.test(error.message)) throw error;
  }
  await call(connection, "POST", "/v1/sites", { json: { name: site }, attempts });
  return true;
}

/** Uploads each missing hash once, a few at a time, with a progress bar by bytes. */
async function upload(options: Options, created: CreatedRelease, files: LocalFile[]) {
  const byHash = new Map(files.map((file) => [file.hash, file]));
  const missing = created.missing.map((hash) => byHash.get(hash) as LocalFile);
  const bytes = missing.reduce((sum, file) => sum + file.size, 0);
  if (missing.length === 0) return { files: 0, bytes: 0 };
  const progress = createProgress(`Uploading ${missing.length} file(s)`, bytes, formatBytes);
  const path = `/v1/sites/${options.site}/releases/${created.release.id}/blobs/`;
  await mapLimit(missing, options.concurrency, async (file) => {
    const body = await readFile(file.file);
    progress.label(file.path);
    await call(options.connection, "PUT", `${path}${file.hash}`, {
      body,
      headers: { "Content-Type": "application/octet-stream" },
      attempts: options.attempts,
    });
    progress.advance(file.size);
  });
  progress.finish();
  return { files: missing.length, bytes };
}

function printDiff(diff: ReleaseDiff, files: LocalFile[]) {
  const list = (title: string, paths: string[]) => {
    if (paths.length === 0) return "";
    const shown = paths.slice(0, 20).map((path) => `  ${title[0]} ${path}`);
    if (paths.length > 20) shown.push(`  … and ${paths.length - 20} more`);
    return `${title} (${paths.length}):\n${shown.join("\n")}\n`;
  };
  const missing = new Set(diff.missing);
  const reused = files.filter((file) => !missing.has(file.hash)).length;
  process.stdout.write(
    `Dry run against ${diff.base_release_id ? `release ${diff.base_release_id}` : "a site with no release"}:\n` +
      list("+ added", diff.added) +
      list("~ changed", diff.changed) +
      list("- removed", diff.removed) +
      `${diff.unchanged} unchanged. Would upload ${diff.missing.length} file(s) (${formatBytes(diff.missing_bytes)}) ` +
      `and reuse ${reused}. Nothing was changed.\n`,
  );
}
