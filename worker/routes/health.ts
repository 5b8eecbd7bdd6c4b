import { Hono } from "hono";
import { HealthSchema } from "../../core/rest/auth";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";

/** `GET /health`: no auth, for load balancers and `npm run dev`'s readiness wait. */
export const healthRoutes = new Hono<AppEnv>().get(
  "/",
  route({
    summary: "Is the deployment up, and does its database answer?",
    auth: "none",
    responses: { 200: { description: "`status` is `degraded` when D1 does not answer.", body: HealthSchema } },
  }),
  async (c) => {
    // One trivial query proves the D1 binding answers, not just that the isolate is up.
    const database = await c.env.DB.prepare("SELECT 1")
      .first()
      .then(() => "ok" as const)
      .catch(() => "unavailable" as const);
    return c.json({ status: database === "ok" ? "ok" : "degraded", version: c.env.FLAREBASE_VERSION, database });
  },
);
