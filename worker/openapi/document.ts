import { z } from "zod";
import { ERROR_CODE_NAMES, type ErrorCode } from "../../core/errors";
import { type RouteError, routeErrors } from "./errors";
import { type JsonSchema, SchemaComponents } from "./json-schema";
import { type RouteAuth, type RouteSpec, routeSpecOf } from "./route";

/** What the document generator reads of a Hono app: `app.routes`. */
export interface AppRoute {
  method: string;
  path: string;
  handler: unknown;
}

/** One operation of the app: its method, its OpenAPI path and its declaration. */
export interface DeclaredOperation {
  method: string;
  path: string;
  spec: RouteSpec;
}

const METHODS = new Set(["get", "post", "put", "patch", "delete"]);

/**
 * `/v1/collections/:collection/documents/:id` → `/v1/collections/{collection}/documents/{id}`; a
 * trailing wildcard (`/objects/*`, a file path with its slashes) becomes `{path}`.
 */
export const openApiPath = (honoPath: string) =>
  honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\/\*$/, "/{path}");

/**
 * The declared operations of an app, one per method and path, in the app's order. Middleware
 * (`app.use`, method `ALL`) and handlers other than `route(...)` are skipped.
 */
export function declaredOperations(routes: readonly AppRoute[]): DeclaredOperation[] {
  const operations = new Map<string, DeclaredOperation>();
  for (const { method, path, handler } of routes) {
    const spec = routeSpecOf(handler);
    const lower = method.toLowerCase();
    if (!spec || !METHODS.has(lower)) continue;
    operations.set(`${lower} ${path}`, { method: lower, path: openApiPath(path), spec });
  }
  return [...operations.values()];
}

const SECURITY: Record<RouteAuth, Record<string, string[]>[]> = {
  none: [],
  admin: [{ adminToken: [] }],
  project: [{ apiKey: [] }, { userToken: [] }],
  secret: [{ apiKey: [] }],
  socket: [{ apiKey: [] }, { userToken: [] }, { apiKeyQuery: [] }, { accessTokenQuery: [] }],
};

const AUTH_NOTES: Record<RouteAuth, string> = {
  none: "No credentials.",
  admin: "The admin token.",
  project: "Any credential of the project: a public or secret key, or a user token.",
  secret: "A secret key of the project.",
  socket:
    "A WebSocket: send `Upgrade: websocket`. Credentials: a subprotocol `flarebase.key.<key>` or `flarebase.token.<jwt>` next to `flarebase.v1`, the usual headers, or `api_key` / `access_token` in the query (never a secret key). Every refusal completes the upgrade, sends an `error` frame and closes with a 4xxx code (docs/protocol.md).",
};

/** The error envelope, with `code` limited to `codes`. */
function errorEnvelope(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  return z.object({
    error: z.object({
      code: z.enum(codes),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  });
}

function errorResponses(errors: RouteError[], components: SchemaComponents) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const { code, status } of errors) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of byStatus) {
    responses[String(status)] = {
      description: `Error: ${codes.map((code) => `\`${code}\``).join(", ")}.`,
      content: {
        "application/json": {
          schema: components.convert(errorEnvelope(codes as [ErrorCode, ...ErrorCode[]]), "output"),
        },
      },
    };
  }
  return responses;
}

/** The parameters of one location (`path`, `query`, `header`) from an object schema. */
function parameters(schema: z.ZodType | undefined, location: string, components: SchemaComponents) {
  if (!schema) return [];
  const json = components.convert(schema, "input") as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === "path" || (json.required ?? []).includes(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

function operation(declared: DeclaredOperation, components: SchemaComponents) {
  const { spec, method, path } = declared;
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([name, description]) => [
                name,
                { description, schema: { type: "string" } },
              ]),
            ),
          }
        : {}),
      ...(response.body
        ? { content: { "application/json": { schema: components.convert(response.body, "output") } } }
        : {}),
    };
  }
  Object.assign(responses, errorResponses(routeErrors(spec), components));
  const body = spec.body;
  return {
    operationId: operationId(method, path),
    summary: spec.summary,
    description: [spec.description, AUTH_NOTES[spec.auth]].filter(Boolean).join("\n\n"),
    tags: [tagOf(path)],
    security: SECURITY[spec.auth],
    parameters: [
      ...parameters(spec.params, "path", components),
      ...parameters(spec.query, "query", components),
      ...parameters(spec.headers, "header", components),
    ],
    ...(body
      ? {
          requestBody: {
            // An empty body reads as `{}`: it is optional where `{}` is a valid body.
            required: !body.safeParse({}).success,
            content: { "application/json": { schema: components.convert(body, "input") } },
          },
        }
      : {}),
    responses,
  };
}

/** `get /v1/collections/{collection}/documents` → `getCollectionsCollectionDocuments`. */
function operationId(method: string, path: string): string {
  const words = path
    .replace(/^\/v1/, "")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join("");
}

/** The resource a path belongs to: its first segment after `/v1`. */
function tagOf(path: string): string {
  const segments = path.split("/").filter(Boolean);
  return (segments[0] === "v1" ? segments[1] : segments[0]) ?? "root";
}

/**
 * The OpenAPI 3.1 document of an app, built from the `route(...)` declarations of its routes
 * (worker/openapi/route.ts). Served at `GET /openapi.json`.
 */
export function openApiDocument(routes: readonly AppRoute[], version: string) {
  const components = new SchemaComponents();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const declared of declaredOperations(routes)) {
    paths[declared.path] ??= {};
    (paths[declared.path] as Record<string, unknown>)[declared.method] = operation(declared, components);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Flarebase",
      version,
      description:
        "Documents, realtime and files on your own Cloudflare account. Errors are `{ error: { code, message, details? } }`; the codes are listed in `components.schemas.ErrorBody`.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    components: {
      schemas: { ErrorBody: components.convert(errorEnvelope(ERROR_CODE_NAMES), "output"), ...components.schemas },
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "A project key: pk_… or sk_…." },
        userToken: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A user token of a project." },
        adminToken: { type: "http", scheme: "bearer", description: "The deployment's ADMIN_TOKEN." },
        // WebSocket upgrades only (browsers cannot set headers on a WebSocket; the SDK sends a subprotocol).
        apiKeyQuery: { type: "apiKey", in: "query", name: "api_key", description: "A public key, on an upgrade." },
        accessTokenQuery: {
          type: "apiKey",
          in: "query",
          name: "access_token",
          description: "A user token, on an upgrade.",
        },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
