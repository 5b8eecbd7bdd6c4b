/**
 * Declaring a REST route: every route of the Worker is declared once, with `route({...})` as the
 * first handler after its path. The declaration authenticates, validates the request and is read
 * back by `openApiDocument` (worker/openapi/document.ts) to build `GET /openapi.json`; a workerd
 * test fails when a route of the app has none (test/worker/openapi.test.ts).
 *
 * @example
 * export const noteRoutes = new Hono<AppEnv>().post(
 *   "/:collection/notes",
 *   route({
 *     summary: "Create a note",
 *     auth: "project", // "none" | "admin" | "project" (any key or token) | "secret" | "socket"
 *     params: z.object({ collection: CollectionName }),
 *     body: z.object({ text: z.string() }),
 *     responses: { 201: { description: "The note.", body: NoteSchema } },
 *     errors: ["not_found"], // besides those the auth and the validation imply
 *   }),
 *   async (c) => {
 *     const { collection } = c.req.valid("param");
 *     const { text } = c.req.valid("json");
 *     return c.json(await createNote(c.env.DB, collection, text), 201);
 *   },
 * );
 *
 * Order of the checks, so that a caller sees the error that matters first: authentication
 * (`auth`), then `checks` (route-specific middleware that must win over a bad input, e.g. "may
 * this key publish here"), then path parameters, query, headers and the JSON body. Validation
 * failures are `400 invalid_request` with `details.issues` (`invalid_json` for a body that is not
 * JSON). A `socket` route is a WebSocket upgrade: it is declared for the spec (101), but refuses
 * in-band (worker/routes/realtime-upgrade.ts), so this middleware neither authenticates nor
 * validates it.
 *
 * Errors: the auth and the declared inputs imply theirs (worker/openapi/errors.ts) and `internal`
 * is always listed; declare the rest in `errors`, as a code (at its status in core/errors.ts) or
 * `{ code, status }` where the route sends it at another status. Response body schemas that
 * clients see belong in core/ (core/documents/wire-schemas.ts, core/rest/). The e2e clients check
 * every answer against the document (test/e2e/validated-fetch.ts): an undeclared status, code or
 * body field fails the test that receives it.
 */
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { ErrorCode } from "../../core/errors";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth/admin";
import { identifyCaller, requireAuth, requireSecretKey } from "../auth/auth-context";
import { parseInput, readJson } from "../validation";

/**
 * Who may call a route:
 * - `none`: anyone, no credentials;
 * - `admin`: the operator (`Authorization: Bearer <ADMIN_TOKEN>`);
 * - `project`: any credential of a project (public key, secret key or user token);
 * - `secret`: a project's secret key;
 * - `socket`: a WebSocket upgrade that authenticates in-band (errors arrive as frames).
 */
export type RouteAuth = "none" | "admin" | "project" | "secret" | "socket";

/** A success response: its description and, unless it has no body, the body's schema. */
export interface ResponseSpec {
  description: string;
  body?: z.ZodType;
  /** Response headers worth documenting, by name: their description. */
  headers?: Record<string, string>;
}

/** An error the route may answer with: a code at its usual status, or at another one. */
export type ErrorSpec = ErrorCode | { code: ErrorCode; status: number };

type Schema = z.ZodType | undefined;

/** Everything about a route except its method and path (those stay with Hono). */
export interface RouteSpec<
  P extends Schema = Schema,
  Q extends Schema = Schema,
  H extends Schema = Schema,
  B extends Schema = Schema,
> {
  summary: string;
  description?: string;
  auth: RouteAuth;
  /**
   * The handler checks the caller's standing (revocation, origins: `c.var.standing`) inside its own
   * first D1 batch instead of a trip before it (worker/auth/auth-context.ts `identifyCaller`).
   */
  foldsStanding?: boolean;
  /** Route-specific middleware run after authentication and before validation. */
  checks?: MiddlewareHandler<AppEnv>[];
  params?: P;
  query?: Q;
  /** Header names in lower case (`if-match`), as `c.req.header()` gives them. */
  headers?: H;
  body?: B;
  /** Success responses by status (2xx; 101 for a WebSocket). */
  responses: Record<number, ResponseSpec>;
  /** Errors beyond those `auth` and the declared inputs imply (see worker/openapi/errors.ts). */
  errors?: readonly ErrorSpec[];
}

type Out<S extends Schema, Target extends string> = S extends z.ZodType
  ? { [K in Target]: z.output<S> }
  : Record<never, never>;

/** What `c.req.valid(...)` returns in the handler after `route(spec)`. */
export type ValidatedInput<P extends Schema, Q extends Schema, H extends Schema, B extends Schema> = {
  out: Out<P, "param"> & Out<Q, "query"> & Out<H, "header"> & Out<B, "json">;
};

const ROUTE_SPEC = Symbol("flarebase.routeSpec");

const GUARDS: Record<RouteAuth, MiddlewareHandler<AppEnv>[]> = {
  none: [],
  admin: [requireAdmin],
  project: [requireAuth],
  secret: [requireAuth, requireSecretKey],
  socket: [],
};

/** The guards of a route that folds the standing into its own batch (`foldsStanding`). */
const FOLDED_GUARDS: Partial<Record<RouteAuth, MiddlewareHandler<AppEnv>[]>> = {
  project: [identifyCaller],
  secret: [identifyCaller, requireSecretKey],
};

/**
 * Declares a route (see the top of this file): returns the middleware that authenticates and
 * validates it, carrying the declaration for the OpenAPI document.
 */
export function route<
  P extends Schema = undefined,
  Q extends Schema = undefined,
  H extends Schema = undefined,
  B extends Schema = undefined,
>(spec: RouteSpec<P, Q, H, B>): MiddlewareHandler<AppEnv, string, ValidatedInput<P, Q, H, B>> {
  const guards = (spec.foldsStanding && FOLDED_GUARDS[spec.auth]) || GUARDS[spec.auth];
  const chain = [...guards, ...(spec.checks ?? [])];
  const validate = async (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => {
    if (spec.auth === "socket") return;
    if (spec.params)
      c.req.addValidatedData("param", parseInput(spec.params, c.req.param(), "path parameters") as object);
    if (spec.query)
      c.req.addValidatedData("query", parseInput(spec.query, c.req.query(), "query parameters") as object);
    if (spec.headers) c.req.addValidatedData("header", parseInput(spec.headers, c.req.header(), "headers") as object);
    if (spec.body) c.req.addValidatedData("json", (await readJson(c, spec.body)) as object);
  };
  // The guards and checks run as one chain; one that answers instead of calling next() ends it.
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    let answer: Response | undefined;
    const step = async (index: number): Promise<void> => {
      const guard = chain[index];
      if (!guard) {
        await validate(c);
        await next();
        return;
      }
      const response = await guard(c, () => step(index + 1));
      if (response instanceof Response) answer ??= response;
    };
    await step(0);
    return answer;
  };
  Object.defineProperty(middleware, ROUTE_SPEC, { value: spec });
  return middleware as MiddlewareHandler<AppEnv, string, ValidatedInput<P, Q, H, B>>;
}

/** The declaration a handler of the app carries, if it is a `route(...)` middleware. */
export function routeSpecOf(handler: unknown): RouteSpec | undefined {
  if (typeof handler !== "function") return undefined;
  return (handler as { [ROUTE_SPEC]?: RouteSpec })[ROUTE_SPEC];
}
