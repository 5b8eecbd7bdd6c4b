/**
 * End users of a project in D1 (migrations/0010_create_accounts.sql): the rows, their wire shape
 * and the statements the account routes and the OpenID Connect sign-in share.
 *
 * @module
 */
import { ApiError } from "../../core/errors";
import { BASE36, randomString } from "../../core/random";
import type { AccountUser, Identity } from "../../core/rest/accounts";

/** A users row as D1 returns it. */
export interface UserRow {
  project_id: string;
  id: string;
  is_anonymous: number;
  display_name: string | null;
  profile: string;
  role: string | null;
  claims: string;
  password_hash: string | null;
  email_verified_at: string | null;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
  last_sign_in_at: string | null;
}

/** A user as the server works with it: parsed, with the password hash (never sent). */
export interface UserRecord {
  projectId: string;
  id: string;
  isAnonymous: boolean;
  displayName: string | null;
  profile: Record<string, unknown>;
  role: string | null;
  claims: Record<string, unknown>;
  passwordHash: string | null;
  emailVerifiedAt: string | null;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
  lastSignInAt: string | null;
}

export interface IdentityRow {
  provider: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: string;
}

/** The provider name of login-id-and-password identities. */
export const PASSWORD_PROVIDER = "password";

export const toUserRecord = (row: UserRow): UserRecord => ({
  projectId: row.project_id,
  id: row.id,
  isAnonymous: row.is_anonymous === 1,
  displayName: row.display_name,
  profile: JSON.parse(row.profile) as Record<string, unknown>,
  role: row.role,
  claims: JSON.parse(row.claims) as Record<string, unknown>,
  passwordHash: row.password_hash,
  emailVerifiedAt: row.email_verified_at,
  disabledAt: row.disabled_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastSignInAt: row.last_sign_in_at,
});

const toIdentity = (row: IdentityRow): Identity => ({
  provider: row.provider,
  subject: row.subject,
  email: row.email,
  created_at: row.created_at,
});

/** The user on the wire: no password hash; the login id from its password identity. */
export function toAccountUser(user: UserRecord, identities: readonly IdentityRow[]): AccountUser {
  return {
    id: user.id,
    is_anonymous: user.isAnonymous,
    login_id: identities.find((identity) => identity.provider === PASSWORD_PROVIDER)?.subject ?? null,
    display_name: user.displayName,
    profile: user.profile,
    role: user.role,
    claims: user.claims,
    email_verified: user.emailVerifiedAt !== null,
    disabled: user.disabledAt !== null,
    identities: identities.map(toIdentity),
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    last_sign_in_at: user.lastSignInAt,
  };
}

/** New user ids: `u_` and 20 base-36 characters (103 random bits), a valid USER_ID_PATTERN id. */
export const newUserId = () => `u_${randomString(20, BASE36)}`;

/** The statement that reads one user (for a batch). */
export const userStatement = (db: D1Database, projectId: string, userId: string) =>
  db.prepare("SELECT * FROM users WHERE project_id = ?1 AND id = ?2").bind(projectId, userId);

/** The statement that reads a user's identities, oldest first (for a batch). */
export const identitiesStatement = (db: D1Database, projectId: string, userId: string) =>
  db
    .prepare(
      "SELECT provider, subject, user_id, email, created_at FROM identities WHERE project_id = ?1 AND user_id = ?2 ORDER BY created_at, provider",
    )
    .bind(projectId, userId);

/** A user of the project, or null. */
export async function getUser(db: D1Database, projectId: string, userId: string): Promise<UserRecord | null> {
  const row = await userStatement(db, projectId, userId).first<UserRow>();
  return row ? toUserRecord(row) : null;
}

/** A user and its identities in one round trip, as the wire shows it; null if there is none. */
export async function getAccountUser(db: D1Database, projectId: string, userId: string): Promise<AccountUser | null> {
  const [users, identities] = await db.batch<unknown>([
    userStatement(db, projectId, userId),
    identitiesStatement(db, projectId, userId),
  ]);
  const row = users?.results[0] as UserRow | undefined;
  return row ? toAccountUser(toUserRecord(row), (identities?.results ?? []) as IdentityRow[]) : null;
}

/**
 * A user of the project, or `not_found`.
 *
 * @throws {ApiError} `not_found`
 */
export async function requireAccountUser(db: D1Database, projectId: string, userId: string): Promise<AccountUser> {
  const user = await getAccountUser(db, projectId, userId);
  if (!user) throw new ApiError("not_found", `No user with id "${userId}".`, { user_id: userId });
  return user;
}

/** What a new user starts with. */
export interface NewUser {
  isAnonymous?: boolean;
  displayName?: string | null;
  profile?: Record<string, unknown>;
  role?: string | null;
  claims?: Record<string, unknown>;
  passwordHash?: string | null;
  /** Set when the identity's provider vouches for the email (OIDC `email_verified`). */
  emailVerified?: boolean;
}

/** An identity to create or link: provider `password` or `oidc:<name>`, and its subject. */
export interface NewIdentity {
  provider: string;
  subject: string;
  email?: string | null;
}

/**
 * Creates a user, with an identity unless it is a guest, in one batch (a user never exists
 * half-made). Returns it as the wire shows it.
 *
 * @throws {ApiError} `identity_conflict` when the identity already belongs to a user.
 */
export async function createUser(
  db: D1Database,
  projectId: string,
  user: NewUser,
  identity: NewIdentity | null,
): Promise<AccountUser> {
  const id = newUserId();
  const now = new Date().toISOString();
  const statements = [
    db
      .prepare(
        `INSERT INTO users (project_id, id, is_anonymous, display_name, profile, role, claims, password_hash,
           email_verified_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)`,
      )
      .bind(
        projectId,
        id,
        user.isAnonymous ? 1 : 0,
        user.displayName ?? null,
        JSON.stringify(user.profile ?? {}),
        user.role ?? null,
        JSON.stringify(user.claims ?? {}),
        user.passwordHash ?? null,
        user.emailVerified ? now : null,
        now,
      ),
  ];
  if (identity) statements.push(insertIdentityStatement(db, projectId, id, identity, now));
  try {
    await db.batch(statements);
  } catch (error) {
    throw asIdentityConflict(error, identity);
  }
  const created = await getAccountUser(db, projectId, id);
  if (!created) throw new ApiError("internal", "The new user could not be read back.");
  return created;
}

export function insertIdentityStatement(
  db: D1Database,
  projectId: string,
  userId: string,
  identity: NewIdentity,
  now: string,
) {
  return db
    .prepare(
      "INSERT INTO identities (project_id, provider, subject, user_id, email, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(projectId, identity.provider, identity.subject, userId, identity.email ?? null, now);
}

/** The typed conflict for a failed identity insert (the primary key of identities), else the error itself. */
export function asIdentityConflict(error: unknown, identity: NewIdentity | null): unknown {
  if (identity && error instanceof Error && /UNIQUE constraint failed: identities\./.test(error.message)) {
    return new ApiError("identity_conflict", "This sign-in identity already belongs to another user.", {
      provider: identity.provider,
    });
  }
  return error;
}
