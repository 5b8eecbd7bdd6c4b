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

// Request bodies. Login ids and passwords are checked against the project's settings by the
// server (a valid shape here is not yet a valid login id of the project).

const MAX_PROFILE_BYTES = 16_384;

const LoginId = z
  .string()
  .min(1)
  .max(320)
  .meta({ description: "An email address or a user name, as the project chooses." });
/** Bounded so that hashing stays cheap to refuse; the policy's minimum is the project's. */
const Password = z.string().min(1).max(1024);
const DisplayName = z.string().min(1).max(128);
const Profile = z
  .record(z.string().max(64), z.json())
  .refine((profile) => JSON.stringify(profile).length <= MAX_PROFILE_BYTES, {
    message: `profile must serialize to at most ${MAX_PROFILE_BYTES} bytes`,
  });

export const SignUpBody = z.object({
  login_id: LoginId,
  password: Password,
  display_name: DisplayName.optional(),
  profile: Profile.optional(),
});
export type SignUpInput = z.input<typeof SignUpBody>;

export const SignInBody = z.object({ login_id: LoginId, password: Password });
export type SignInInput = z.input<typeof SignInBody>;

export const AnonymousSignInBody = z.object({ display_name: DisplayName.optional(), profile: Profile.optional() });
export type AnonymousSignInInput = z.input<typeof AnonymousSignInBody>;

export const RefreshBody = z.object({ refresh_token: z.string().min(1).max(256) });

export const LinkPasswordBody = z.object({ login_id: LoginId, password: Password });
export type LinkPasswordInput = z.input<typeof LinkPasswordBody>;

export const ChangePasswordBody = z.object({ current_password: Password, new_password: Password });
export type ChangePasswordInput = z.input<typeof ChangePasswordBody>;

export const UpdateProfileBody = z.object({
  display_name: DisplayName.nullable().optional(),
  profile: Profile.optional(),
});
export type UpdateProfileInput = z.input<typeof UpdateProfileBody>;

const Purpose = z.enum(["password_reset", "verify_email"]);

/** The app's server asks for a one-time token for a user, by login id or user id. */
export const OneTimeTokenRequestBody = z
  .object({
    purpose: Purpose,
    login_id: LoginId.optional(),
    user_id: z.string().min(1).max(255).optional(),
    /** Lifetime, 5 minutes to 7 days; 1 hour by default. */
    ttl_seconds: z.number().int().min(300).max(604_800).default(3600),
  })
  .refine((body) => (body.login_id === undefined) !== (body.user_id === undefined), {
    message: "give exactly one of login_id and user_id",
  });
export type OneTimeTokenRequest = z.input<typeof OneTimeTokenRequestBody>;

export const ResetPasswordBody = z.object({ token: z.string().min(1).max(256), new_password: Password });
export type ResetPasswordInput = z.input<typeof ResetPasswordBody>;

export const VerifyEmailBody = z.object({ token: z.string().min(1).max(256) });

/** What the app's server (or the operator) may change on a user. */
export const UpdateUserBody = z.object({
  role: z.string().min(1).max(64).nullable().optional(),
  claims: z
    .record(z.string().max(64), z.json())
    .refine((claims) => JSON.stringify(claims).length <= 4096, {
      message: "claims must serialize to at most 4096 bytes",
    })
    .optional(),
  display_name: DisplayName.nullable().optional(),
  profile: Profile.optional(),
  /** true ends every session of the user at once and refuses its sign-ins; false enables it again. */
  disabled: z.boolean().optional(),
  email_verified: z.boolean().optional(),
});
export type UpdateUserInput = z.input<typeof UpdateUserBody>;

/** The app's server creates a user (with a password, or none: it signs in some other way). */
export const CreateUserBody = z.object({
  login_id: LoginId,
  password: Password.optional(),
  display_name: DisplayName.optional(),
  profile: Profile.optional(),
  role: z.string().min(1).max(64).optional(),
  claims: z.record(z.string().max(64), z.json()).optional(),
  email_verified: z.boolean().optional(),
});
export type CreateUserInput = z.input<typeof CreateUserBody>;

export const UserListQuery = z.object({
  /** `next_cursor` of the previous page. */
  cursor: z.string().max(600).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** Only users whose login id starts with this. */
  login_id_prefix: z.string().min(1).max(320).optional(),
});
/** The query of a user list (`limit` 1–100, 50 by default). */
export interface UserListOptions {
  cursor?: string | undefined;
  limit?: number | undefined;
  login_id_prefix?: string | undefined;
}

export const AuthSettingsPatch = AuthSettingsSchema.partial();
export type AuthSettingsInput = z.input<typeof AuthSettingsPatch>;
