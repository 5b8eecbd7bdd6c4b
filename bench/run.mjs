/**
 * `npm run bench`: runs the benchmarks side by side and prints one table per benchmark.
 *
 * A benchmark is a module in bench/ exporting `name`, `description` and `run()`, which
 * resolves to an array of flat rows (`{ column: value }`, same keys in every row). Register it
 * in BENCHES below. Pick some by name: `npm run bench -- sdk-size`; machine-readable output:
 * `npm run bench -- --json`.
 */
import { availableParallelism, cpus } from "node:os";

/** Every benchmark, in the order they run. */
const BENCHES = [
  "./sdk-size.mjs",
  "./channels/index.mjs",
  "./channels/memory.mjs",
  "./documents/index.mjs",
  "./watchers/index.mjs",
  "./files/index.mjs",
  "./files-tus/index.mjs",
  "./round-trips/index.mjs",
  "./page-meta/index.mjs",
  "./endpoints/index.mjs",
  "./sites/index.mjs",
  "./auth/index.mjs",
];

/** Renders rows as an aligned text table; numbers are right-aligned with thousands separators. */
export function formatTable(rows) {
  if (rows.length === 0) return "(no rows)";
  const columns = Object.keys(rows[0]);
  const cell = (value) => (typeof value === "number" ? value.toLocaleString("en-US") : String(value ?? ""));
  const isNumeric = columns.map((column) => rows.every((row) => typeof row[column] === "number"));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values) =>
    values
      .map((value, i) => (isNumeric[i] ? value.padStart(widths[i]) : value.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map((row) => line(columns.map((c) => cell(row[c])))),
  ].join("\n");
}

async function main() {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const wanted = args.filter((arg) => !arg.startsWith("--"));

  const modules = await Promise.all(BENCHES.map((path) => import(path)));
  const unknown = wanted.filter((name) => !modules.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    throw new Error(`Unknown benchmark ${unknown.join(", ")}; known: ${modules.map((b) => b.name).join(", ")}.`);
  }
  const selected = wanted.length > 0 ? modules.filter((bench) => wanted.includes(bench.name)) : modules;

  const machine = `${cpus()[0]?.model ?? "unknown CPU"} × ${availableParallelism()}, Node ${process.versions.node}`;
  const report = { machine, date: new Date().toISOString(), results: [] };
  if (!json) console.log(`Flarebase benchmarks on ${machine}\n`);
  for (const bench of selected) {
    const started = performance.now();
    const rows = await bench.run();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    report.results.push({ name: bench.name, description: bench.description, seconds: Number(seconds), rows });
    if (!json) console.log(`## ${bench.name}: ${bench.description} (${seconds} s)\n\n${formatTable(rows)}\n`);
  }
  if (json) console.log(JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(`npm run bench: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
