import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { type AppRoute, openApiDocument } from "../openapi/document";
import { route } from "../openapi/route";

const OpenApi = z.looseObject({
  openapi: z.literal("3.1.0"),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

/**
 * `GET /openapi.json`: the API described from its route declarations, no auth. `routes` reads
 * the whole app's routes (this sub-app is part of it); the document is built and serialized once
 * per isolate.
 */
export function openApiRoutes(routes: () => readonly AppRoute[]) {
  let cached: string | undefined;
  return new Hono<AppEnv>().get(
    "/",
    route({
      summary: "This API as OpenAPI 3.1",
      auth: "none",
      responses: { 200: { description: "The OpenAPI document.", body: OpenApi } },
    }),
    (c) => {
      cached ??= JSON.stringify(openApiDocument(routes(), c.env.FLAREBASE_VERSION));
      return c.body(cached, 200, { "Content-Type": "application/json" });
    },
  );
}
