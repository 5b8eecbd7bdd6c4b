// The one import direction (README "Layout"): core/ imports nothing of ours; data/ imports core/;
// the Worker and the objects import core/ and data/ (the Worker also the objects it exports, never
// the other way); the SDK imports only core/, and whatever it takes from core/ at run time must
// not pull in a package, so the browser bundle keeps zero runtime dependencies.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { areaOf, type ImportEdge, importsOf, sourceFiles } from "./import-graph";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Which of our folders each folder may import, and which packages. */
const ALLOWED: Record<string, { areas: string[]; packages: RegExp }> = {
  core: { areas: ["core"], packages: /^zod$/ },
  data: { areas: ["core", "data"], packages: /^zod$/ },
  "durable-objects": { areas: ["core", "data", "durable-objects"], packages: /^(zod|cloudflare:workers)$/ },
  worker: {
    areas: ["core", "data", "durable-objects", "worker"],
    packages: /^(zod|jose|hono(\/.*)?|cloudflare:workers)$/,
  },
  sdk: { areas: ["core", "sdk"], packages: /^$/ },
  cli: { areas: ["core", "cli"], packages: /^node:/ },
};

const files = Object.keys(ALLOWED).flatMap((area) => sourceFiles(ROOT, area));
const edges = files.flatMap((file) => importsOf(ROOT, file));

function describeEdge(edge: ImportEdge) {
  return `${edge.from} imports ${edge.specifier}`;
}

describe("import direction", () => {
  it("reads a real graph", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.some((edge) => edge.from.startsWith("worker") && edge.target?.startsWith("core"))).toBe(true);
  });

  it("no folder imports one it may not", () => {
    const wrong = edges.filter((edge) => {
      const rule = ALLOWED[areaOf(edge.from)];
      if (!rule) return false;
      if (edge.target === null) return !rule.packages.test(edge.specifier) && !edge.typeOnly;
      return !rule.areas.includes(areaOf(edge.target));
    });
    expect(wrong.map(describeEdge)).toEqual([]);
  });

  it("what the SDK runs from core/ brings no package with it", () => {
    const seen = new Set<string>();
    const pulled: string[] = [];
    const visit = (file: string, via: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const edge of importsOf(ROOT, file)) {
        if (edge.typeOnly) continue;
        if (edge.target === null) pulled.push(`${via} -> ${file} imports ${edge.specifier}`);
        else visit(edge.target, via);
      }
    };
    for (const edge of edges) {
      if (areaOf(edge.from) === "sdk" && !edge.typeOnly && edge.target?.startsWith("core"))
        visit(edge.target, edge.from);
    }
    expect(pulled).toEqual([]);
  });
});
