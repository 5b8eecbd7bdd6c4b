/**
 * The project's optional webhook (its `webhook_url` setting): account events the app's server
 * may want (a user signed up; a password reset or verification token to deliver by mail), sent
 * after the answer (`waitUntil`), at most once, 5 seconds at most.
 *
 * Each POST carries `X-Flarebase-Signature: t=<epoch seconds>,v1=<hex HMAC-SHA-256 of
 * "<t>.<body>" under the webhook secret>`, so the receiver can check it came from here and is
 * recent.
 *
 * @module
 */
import type { Context } from "hono";
import type { StoredAuthSettings } from "../../data/accounts/settings";
import type { AppEnv } from "../app-env";

export type AccountEventType = "user.created" | "password_reset.requested" | "verify_email.requested";

const DELIVERY_TIMEOUT_MS = 5000;

/** Sends an event to the project's webhook, if it has one, without delaying the answer. */
export function sendAccountEvent(
  c: Context<AppEnv>,
  stored: StoredAuthSettings,
  type: AccountEventType,
  data: Record<string, unknown>,
) {
  const url = stored.settings.webhook_url;
  if (!url || !stored.webhookSecret) return;
  const body = JSON.stringify({
    type,
    project_id: c.var.auth.projectId,
    created_at: new Date().toISOString(),
    data,
  });
  c.executionCtx.waitUntil(deliver(url, stored.webhookSecret, body));
}

/** The `X-Flarebase-Signature` value of a body at a time. */
export async function signWebhookBody(secret: string, body: string, timestamp: number): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${body}`)));
  return `t=${timestamp},v1=${[...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

async function deliver(url: string, secret: string, body: string) {
  try {
    const signature = await signWebhookBody(secret, body, Math.floor(Date.now() / 1000));
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Flarebase-Signature": signature },
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    if (!response.ok) console.warn(`Account webhook ${url} answered ${response.status}.`);
    await response.body?.cancel();
  } catch (error) {
    console.warn(`Account webhook ${url} failed:`, error);
  }
}
