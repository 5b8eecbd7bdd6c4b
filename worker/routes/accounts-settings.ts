import { Hono } from "hono";
import { ALPHANUMERIC, randomString } from "../../core/random";
import { AuthSettingsPatch, AuthSettingsResponseSchema } from "../../core/rest/accounts";
import { getAuthSettings, putAuthSettings, type StoredAuthSettings } from "../../data/accounts/settings";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";

const answer = ({ settings, webhookSecret }: StoredAuthSettings) => ({ ...settings, webhook_secret: webhookSecret });

/** `/v1/auth/settings` with a secret key: how the project's users sign in. */
export const accountSettingsRoutes = new Hono<AppEnv>()
  .get(
    "/settings",
    route({
      summary: "The project's account settings",
      auth: "secret",
      responses: {
        200: { description: "The settings (defaults for those never set).", body: AuthSettingsResponseSchema },
      },
    }),
    async (c) => c.json(answer(await getAuthSettings(c.env.DB, c.var.auth.projectId))),
  )
  .patch(
    "/settings",
    route({
      summary: "Change the project's account settings",
      description:
        "Only the fields sent change. Setting a webhook_url the first time creates the webhook's signing secret (in the answer); a changed login_id kind applies to new sign-ups and sign-ins (existing login ids stay as they are).",
      auth: "secret",
      body: AuthSettingsPatch,
      responses: { 200: { description: "The settings.", body: AuthSettingsResponseSchema } },
    }),
    async (c) => {
      const projectId = c.var.auth.projectId;
      const current = await getAuthSettings(c.env.DB, projectId);
      const settings = { ...current.settings, ...c.req.valid("json") };
      const webhookSecret = settings.webhook_url
        ? (current.webhookSecret ?? `whsec_${randomString(32, ALPHANUMERIC)}`)
        : null;
      const stored = { settings, webhookSecret };
      await putAuthSettings(c.env.DB, projectId, stored);
      return c.json(answer(stored));
    },
  );
