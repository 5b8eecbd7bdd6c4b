// Checks real responses against the server's own OpenAPI document (GET /openapi.json): the status
// must be one the operation declares, and a JSON body must match that status's schema. Pure code
// (no Node APIs), so the workerd tests can use it too.
import { type Schema, Validator } from "@cfworker/json-schema";

/** The parts of an OpenAPI 3.1 document this reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface Operation {
  operationId?: string;
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}

interface PathTemplate {
  template: string;
  pattern: RegExp;
  /** Literal segments win over parameters: `/a/b` before `/a/{x}`. */
  parameters: number;
}

/** One response that does not match the document. */
export interface Violation {
  request: string;
  status: number;
  problem: string;
}

export class ResponseValidator {
  readonly #document: OpenApiDocument;
  readonly #templates: PathTemplate[];
  readonly #validators = new Map<Schema, Validator>();

  constructor(document: OpenApiDocument) {
    this.#document = document;
    this.#templates = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(
          `^${template
            .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
            .replace(/\/\{path\}$/, "/.+")
            .replace(/\{[^/}]+\}/g, "[^/]+")}$`,
        ),
        parameters: (template.match(/\{/g) ?? []).length,
      }))
      .sort((a, b) => a.parameters - b.parameters);
  }

  /** The document's path template for a concrete path, if any (`/v1/rooms` → `/v1/rooms`). */
  templateOf(path: string): string | undefined {
    return this.#templates.find(({ pattern }) => pattern.test(path))?.template;
  }

  /**
   * What is wrong with one response, or null when it matches: its path and method are declared
   * (or it is the app's `404 not_found` for a route it does not have, or a static asset outside
   * `/v1`), its status is one the operation lists, and a JSON body matches that status's schema.
   */
  check(method: string, path: string, status: number, body: string | null): string | null {
    const template = this.templateOf(path);
    // A HEAD is answered by the GET route, without a body.
    const head = method.toUpperCase() === "HEAD";
    const operation = template ? this.#document.paths[template]?.[head ? "get" : method.toLowerCase()] : undefined;
    if (!template || !operation) {
      // Static assets (the built SDK, the demo page) are served beside the API, not by it.
      if (!template && !path.startsWith("/v1/")) return null;
      // What the app answers for a route it does not have.
      if (status === 404 && body !== null && this.#isNotFound(body)) return null;
      return `${method.toUpperCase()} ${path} is not in the OpenAPI document (answered ${status})`;
    }
    const response = operation.responses[String(status)];
    if (!response) {
      const declared = Object.keys(operation.responses).join(", ");
      return `status ${status} is not declared for ${method.toUpperCase()} ${template} (declared: ${declared}); body: ${body?.slice(0, 300)}`;
    }
    const schema = response.content?.["application/json"]?.schema;
    if (!schema || head) return null;
    if (body === null) return `a ${status} of ${method.toUpperCase()} ${template} has no JSON body`;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return `the body of a ${status} is not JSON: ${body.slice(0, 200)}`;
    }
    const result = this.#validator(schema).validate(value);
    if (result.valid) return null;
    const errors = result.errors
      .slice(0, 5)
      .map((error) => `${error.instanceLocation}: ${error.error}`)
      .join("; ");
    return `the body of a ${status} of ${method.toUpperCase()} ${template} does not match its schema: ${errors}; body: ${body.slice(0, 300)}`;
  }

  #isNotFound(body: string): boolean {
    try {
      const value = JSON.parse(body) as { error?: { code?: unknown } };
      const envelope = this.#document.components?.schemas?.ErrorBody;
      return value.error?.code === "not_found" && (!envelope || this.#validator(envelope).validate(value).valid);
    } catch {
      return false;
    }
  }

  /** A validator for one schema, with the document's shared schemas reachable as `$defs`. */
  #validator(schema: Schema): Validator {
    let validator = this.#validators.get(schema);
    if (!validator) {
      const shared = this.#document.components?.schemas ?? {};
      const rooted = JSON.parse(
        JSON.stringify({ ...schema, $defs: shared }).replaceAll('"#/components/schemas/', '"#/$defs/'),
      ) as Schema;
      validator = new Validator(rooted, "2020-12", false);
      this.#validators.set(schema, validator);
    }
    return validator;
  }
}
