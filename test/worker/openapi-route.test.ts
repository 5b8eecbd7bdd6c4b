import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppEnv } from "../../worker/app-env";
import { onError } from "../../worker/error-handler";
import { declaredOperations, openApiDocument } from "../../worker/openapi/document";
import { routeErrors } from "../../worker/openapi/errors";
import { SchemaComponents } from "../../worker/openapi/json-schema";
import { route } from "../../worker/openapi/route";
import { ADMIN_TOKEN } from "./helpers";

/** A check that refuses one value of the path, to see where in the order it runs. */
const refuseBlocked = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.param("name") === "blocked") return c.json({ error: { code: "forbidden", message: "no" } }, 403);
  await next();
  return undefined;
});

const app = new Hono<AppEnv>()
  .post(
    "/things/:name",
    route({
      summary: "Make a thing",
      auth: "admin",
      checks: [refuseBlocked],
      params: z.object({ name: z.string().regex(/^[a-z]+$/) }),
      query: z.object({ n: z.coerce.number().int().default(1) }),
      body: z.object({ color: z.enum(["red", "blue"]) }),
      responses: { 201: { description: "Made." } },
      errors: ["conflict", { code: "invalid_request", status: 422 }],
    }),
    (c) => c.json({ ...c.req.valid("param"), ...c.req.valid("query"), ...c.req.valid("json") }, 201),
  )
  .onError(onError);

const post = (path: string, body: string | undefined, token: string | null = ADMIN_TOKEN) =>
  app.request(path, { method: "POST", body, headers: token ? { Authorization: `Bearer ${token}` } : {} }, env);
const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

describe("route()", () => {
  it("hands the handler the validated, typed input", async () => {
    const response = await post("/things/abc?n=3", '{"color":"red"}');
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ name: "abc", n: 3, color: "red" });
  });

  it("checks auth, then the route's checks, then params, query and body, in that order", async () => {
    const bad = "/things/BAD?n=x";
    expect(await codeOf(await post(bad, "{", null))).toBe("unauthorized");
    const blocked = await post("/things/blocked?n=x", "{");
    expect(blocked.status).toBe(403);
    const params = (await (await post(bad, "{")).json()) as { error: { message: string } };
    expect(params.error.message).toBe("Invalid path parameters.");
    const query = (await (await post("/things/abc?n=x", "{")).json()) as { error: { message: string } };
    expect(query.error.message).toBe("Invalid query parameters.");
    expect(await codeOf(await post("/things/abc", "{"))).toBe("invalid_json");
    expect(await codeOf(await post("/things/abc", '{"color":"green"}'))).toBe("invalid_request");
  });

  it("is found in app.routes with its declaration, under the app's path", () => {
    const [operation, ...rest] = declaredOperations(app.routes);
    expect(rest).toEqual([]);
    expect(operation).toMatchObject({ method: "post", path: "/things/{name}", spec: { summary: "Make a thing" } });
  });

  it("lists the errors its auth and inputs imply, its own, and internal, by status", () => {
    const [operation] = declaredOperations(app.routes);
    if (!operation) throw new Error("no operation");
    expect(routeErrors(operation.spec)).toEqual([
      { code: "invalid_json", status: 400 },
      { code: "invalid_request", status: 400 },
      { code: "unauthorized", status: 401 },
      { code: "conflict", status: 409 },
      { code: "payload_too_large", status: 413 },
      { code: "invalid_request", status: 422 },
      { code: "internal", status: 500 },
      { code: "not_configured", status: 503 },
    ]);
    const document = openApiDocument(app.routes, "test");
    const responses = document.paths["/things/{name}"]?.post as { responses: Record<string, unknown> };
    expect(Object.keys(responses.responses).sort()).toEqual(["201", "400", "401", "409", "413", "422", "500", "503"]);
  });
});

describe("SchemaComponents", () => {
  it("moves a schema's $defs into the shared components and points its refs there", () => {
    const components = new SchemaComponents();
    const first = components.convert(z.object({ value: z.json() }), "input");
    const second = components.convert(z.object({ other: z.json() }), "input");
    const names = Object.keys(components.schemas);
    expect(names).toHaveLength(1);
    const ref = `#/components/schemas/${names[0]}`;
    expect(first).toMatchObject({ properties: { value: { $ref: ref } } });
    expect(second).toMatchObject({ properties: { other: { $ref: ref } } });
    expect(JSON.stringify(components.schemas)).not.toContain("#/$defs/");
    expect(first).not.toHaveProperty("$defs");
    expect(first).not.toHaveProperty("$schema");
  });

  it("describes what a client sends (input) and what it gets (output)", () => {
    const components = new SchemaComponents();
    const schema = z.object({ n: z.number().default(5) });
    expect(components.convert(schema, "input")).toMatchObject({ properties: { n: { default: 5 } } });
    expect(components.convert(schema, "output")).toMatchObject({ required: ["n"] });
  });
});
