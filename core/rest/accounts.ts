/**
 * End-user accounts on the wire (`/v1/auth/...` and `/v1/admin/projects/:id/users`): the
 * response schemas of the OpenAPI document and the types the SDK hands to applications.
 *
 * @module
 */
import { z } from "zod";

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });

/** How a user signs in: `password` (login id and password) or `oidc:<provider>`. */
export const IdentitySchema = z.object({
  provider: z.string(),
  /** The login id for `password`; the provider's subject for OpenID Connect. */
  subject: z.string(),
  email: z.string().nullable(),
  created_at: IsoTime,
});
export type Identity = z.infer<typeof IdentitySchema>;

/** An end user as the user and the app's server see it (never its password hash). */
export const AccountUserSchema = z.object({
  id: z.string().meta({ description: "The user id: tokens' `sub`, rules' `auth.id`." }),
  is_anonymous: z.boolean(),
  /** The password identity's login id (an email or a user name); null for a guest. */
  login_id: z.string().nullable(),
  display_name: z.string().nullable(),
  profile: z.record(z.string(), z.unknown()),
  role: z.string().nullable(),
  claims: z.record(z.string(), z.unknown()),
  email_verified: z.boolean(),
  disabled: z.boolean(),
  identities: z.array(IdentitySchema),
  created_at: IsoTime,
  updated_at: IsoTime,
  last_sign_in_at: IsoTime.nullable(),
});
export type AccountUser = z.infer<typeof AccountUserSchema>;

/** What every sign-in, sign-up, link and refresh answers. */
export const SessionTokensSchema = z.object({
  /** The project's JWT for `Authorization: Bearer`, like a minted token. */
  access_token: z.string(),
  /** Opaque; trade it at POST /v1/auth/refresh for a new pair before `expires_in` runs out. */
  refresh_token: z.string(),
  /** Seconds the access token is valid for. */
  expires_in: z.number().int(),
  user: AccountUserSchema,
});
export type SessionTokens = z.infer<typeof SessionTokensSchema>;

/** A session as its user lists it. */
export const SessionInfoSchema = z.object({
  id: z.string(),
  /** The User-Agent it signed in with. */
  device: z.string().nullable(),
  created_at: IsoTime,
  last_used_at: IsoTime,
  expires_at: IsoTime,
  /** True for the session of the access token that asked. */
  current: z.boolean(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export const SessionListSchema = z.object({ items: z.array(SessionInfoSchema), next_cursor: z.null() });

export const UserPageSchema = z.object({ items: z.array(AccountUserSchema), next_cursor: z.string().nullable() });
export type UserPage = z.infer<typeof UserPageSchema>;

/** What the app's server gets for a password reset or verification request (it delivers the token). */
export const OneTimeTokenSchema = z.object({
  token: z.string(),
  purpose: z.enum(["password_reset", "verify_email"]),
  user_id: z.string(),
  expires_at: IsoTime,
});
export type OneTimeToken = z.infer<typeof OneTimeTokenSchema>;

/** A project's account settings (GET/PUT /v1/auth/settings). */
export const AuthSettingsSchema = z.object({
  /** What users sign in with: an email address or a user name. */
  login_id: z.enum(["email", "username"]),
  password_min_length: z.number().int().min(8).max(128),
  /** Refuse the most common passwords (a built-in list). */
  password_check_common: z.boolean(),
  /** Whether guests may sign in (POST /v1/auth/anonymous). */
  allow_anonymous: z.boolean(),
  /** Whether anyone may sign up, or only the app's server (secret key) creates users. */
  allow_sign_up: z.boolean(),
  access_token_ttl_seconds: z.number().int().min(60).max(86_400),
  /** A session ends after this long without a refresh. */
  session_idle_days: z.number().int().min(1).max(365),
  /** Receives account events (POST, JSON, signed); null for none. */
  webhook_url: z.url({ protocol: /^https?$/ }).nullable(),
});
export type AuthSettings = z.infer<typeof AuthSettingsSchema>;

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  login_id: "email",
  password_min_length: 10,
  password_check_common: true,
  allow_anonymous: true,
  allow_sign_up: true,
  access_token_ttl_seconds: 900,
  session_idle_days: 90,
  webhook_url: null,
};

/** The settings as the server answers them (to the secret key): with the webhook's signing secret. */
export const AuthSettingsResponseSchema = AuthSettingsSchema.extend({
  /** HMAC-SHA-256 key of the webhook's `X-Flarebase-Signature`; null without a webhook. */
  webhook_secret: z.string().nullable(),
});
export type AuthSettingsResponse = z.infer<typeof AuthSettingsResponseSchema>;
