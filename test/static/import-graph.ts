// The repository's import graph, read from the sources as text: every `import … from`,
// `export … from`, side-effect `import "…"` and dynamic `import("…")`, with whether it is type-only.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

export interface ImportEdge {
  /** The importing file, relative to the repository root. */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** The file it resolves to (relative to the root), or null for a package or `cloudflare:` module. */
  target: string | null;
  /** `import type` / `export type`: erased at build time, never reaches a bundle. */
  typeOnly: boolean;
}

const STATEMENT =
  /(?:^|[\n;])\s*(import|export)\s+(type\s+)?(?:[^"';]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every `.ts` file under `folder` (relative to `root`), tests' fixtures included. */
export function sourceFiles(root: string, folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
    }
  };
  if (existsSync(join(root, folder))) walk(folder);
  return out;
}

/** The imports of one file. */
export function importsOf(root: string, file: string): ImportEdge[] {
  const text = readFileSync(join(root, file), "utf8");
  const edges: ImportEdge[] = [];
  for (const match of text.matchAll(STATEMENT)) {
    const specifier = (match[3] ?? match[4]) as string;
    const typeOnly = match[2] !== undefined;
    edges.push({ from: file, specifier, target: resolve(root, file, specifier), typeOnly });
  }
  return edges;
}

function resolve(root: string, file: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const base = normalize(join(dirname(file), specifier));
  const candidates = [base.replace(/\.js$/, ".ts"), base, `${base}.ts`, join(base, "index.ts")];
  for (const candidate of candidates) {
    if (existsSync(join(root, candidate)) && statSync(join(root, candidate)).isFile()) return candidate;
  }
  throw new Error(`${file}: cannot resolve ${specifier}`);
}

/** The top-level folder of a repository path (`core`, `worker`, …). */
export function areaOf(path: string): string {
  return relative(".", path).split(/[\\/]/)[0] as string;
}
