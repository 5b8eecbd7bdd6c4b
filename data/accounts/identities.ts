/**
 * Identities: how a user is found at sign-in (`password` login ids, `oidc:<name>` subjects) and
 * how a guest keeps its user id when it links one.
 *
 * @module
 */
import { ApiError } from "../../core/errors";
import type { AccountUser } from "../../core/rest/accounts";
import {
  asIdentityConflict,
  getAccountUser,
  insertIdentityStatement,
  type NewIdentity,
  toUserRecord,
  type UserRecord,
  type UserRow,
} from "./users";

/**
 * The user an identity belongs to, or null: one indexed read (the identities primary key joined
 * to users). Disabled users are returned too; the caller decides (sign-in refuses them).
 *
 * @example
 * const user = await findUserByIdentity(env.DB, projectId, "oidc:google", claims.sub);
 */
export async function findUserByIdentity(
  db: D1Database,
  projectId: string,
  provider: string,
  subject: string,
): Promise<UserRecord | null> {
  const row = await db
    .prepare(
      `SELECT users.* FROM identities JOIN users ON users.project_id = identities.project_id AND users.id = identities.user_id
       WHERE identities.project_id = ?1 AND identities.provider = ?2 AND identities.subject = ?3`,
    )
    .bind(projectId, provider, subject)
    .first<UserRow>();
  return row ? toUserRecord(row) : null;
}

/** What linking may change on the user besides adding the identity. */
export interface LinkChanges {
  /** The new password hash, when the identity is a password one. */
  passwordHash?: string;
  /** A display name to set if the user has none yet (e.g. from the OIDC profile). */
  displayName?: string | null;
  emailVerified?: boolean;
}

/**
 * Links an identity to an existing user, in one batch: the identity row, and the user stops
 * being a guest (`is_anonymous` = false) with the same user id, so everything it owns stays its
 * own. Linking an identity the user already has is a no-op.
 *
 * @throws {ApiError} `not_found` when the user does not exist; `identity_conflict` when the
 * identity belongs to another user (never a second account).
 */
export async function linkIdentity(
  db: D1Database,
  projectId: string,
  userId: string,
  identity: NewIdentity,
  changes: LinkChanges = {},
): Promise<AccountUser> {
  const owner = await findUserByIdentity(db, projectId, identity.provider, identity.subject);
  if (owner && owner.id !== userId) {
    throw new ApiError("identity_conflict", "This sign-in identity already belongs to another user.", {
      provider: identity.provider,
    });
  }
  const now = new Date().toISOString();
  const update = db
    .prepare(
      `UPDATE users SET is_anonymous = 0, updated_at = ?3,
         password_hash = coalesce(?4, password_hash),
         display_name = coalesce(display_name, ?5),
         email_verified_at = CASE WHEN ?6 THEN coalesce(email_verified_at, ?3) ELSE email_verified_at END
       WHERE project_id = ?1 AND id = ?2`,
    )
    .bind(
      projectId,
      userId,
      now,
      changes.passwordHash ?? null,
      changes.displayName ?? null,
      changes.emailVerified ? 1 : 0,
    );
  const statements = owner ? [update] : [update, insertIdentityStatement(db, projectId, userId, identity, now)];
  try {
    const [updated] = await db.batch(statements);
    if (!updated?.meta.changes) throw new ApiError("not_found", `No user with id "${userId}".`, { user_id: userId });
  } catch (error) {
    // The identity's foreign key names the user: a user that is gone fails it.
    if (error instanceof Error && /FOREIGN KEY constraint failed/.test(error.message)) {
      throw new ApiError("not_found", `No user with id "${userId}".`, { user_id: userId });
    }
    throw asIdentityConflict(error, identity);
  }
  const user = await getAccountUser(db, projectId, userId);
  if (!user) throw new ApiError("not_found", `No user with id "${userId}".`, { user_id: userId });
  return user;
}
