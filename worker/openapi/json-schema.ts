import { z } from "zod";

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as plain JSON. */
export type JsonSchema = Record<string, unknown>;

/**
 * Shared subschemas of the whole document (`components.schemas`). zod puts a schema's recursive
 * or named parts in its own `$defs` with `#/$defs/…` refs; inside an OpenAPI document `#` is the
 * document, so those parts move here and their refs are rewritten. Equal parts share one entry.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};
  readonly #names = new Map<string, string>();

  /**
   * The JSON Schema of `schema`: `input` for what a client sends (before defaults and
   * transforms), `output` for what the server answers.
   */
  convert(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const {
      $schema: _dialect,
      $defs,
      ...json
    } = z.toJSONSchema(schema, {
      io,
      target: "draft-2020-12",
      // Custom checks (refinements, `z.custom`) have no JSON Schema: they constrain nothing here.
      unrepresentable: "any",
    }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    if (!$defs) return json;
    const renamed = new Map<string, string>();
    for (const [name, definition] of Object.entries($defs)) {
      const key = `${name}\n${JSON.stringify(definition)}`;
      let shared = this.#names.get(key);
      if (!shared) {
        shared = name.startsWith("__") ? `Schema${this.#names.size + 1}` : name;
        while (shared in this.schemas) shared = `${shared}_`;
        this.#names.set(key, shared);
        this.schemas[shared] = {};
      }
      renamed.set(name, shared);
    }
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (typeof value !== "object" || value === null) return value;
      const entries = Object.entries(value).map(([key, inner]) => {
        if (key === "$ref" && typeof inner === "string" && inner.startsWith("#/$defs/")) {
          return [key, `#/components/schemas/${renamed.get(inner.slice("#/$defs/".length))}`];
        }
        return [key, rewrite(inner)];
      });
      return Object.fromEntries(entries);
    };
    for (const [name, definition] of Object.entries($defs)) {
      this.schemas[renamed.get(name) as string] = rewrite(definition) as JsonSchema;
    }
    return rewrite(json) as JsonSchema;
  }
}
