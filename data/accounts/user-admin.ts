/**
 * What the app's server and the operator do to users: list them by login id, change their role,
 * claims and profile, disable and delete them.
 *
 * @module
 */
import type { AccountUser, UserPage } from "../../core/rest/accounts";
import { revokeUserSessionsStatement } from "./sessions";
import { type IdentityRow, requireAccountUser, toAccountUser, toUserRecord, type UserRow } from "./users";

/** A page cursor: the last row's login id ("" for none) and user id. */
const encodeCursor = (loginId: string, userId: string) => btoa(JSON.stringify([loginId, userId]));

function decodeCursor(cursor: string | undefined): [string, string] {
  if (!cursor) return ["", ""];
  try {
    const value: unknown = JSON.parse(atob(cursor));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === "string")) {
      return value as [string, string];
    }
  } catch {
    // Falls through: a cursor we did not make starts from the beginning rather than failing.
  }
  return ["", ""];
}

/**
 * The project's users ordered by login id (guests, who have none, first), then id; `prefix`
 * keeps those whose login id starts with it. Two queries: the page, and its users' identities.
 */
export async function listUsers(
  db: D1Database,
  projectId: string,
  options: { cursor?: string | undefined; limit: number; prefix?: string | undefined },
): Promise<UserPage> {
  const [afterLogin, afterId] = decodeCursor(options.cursor);
  const prefix = options.prefix ?? "";
  const { results } = await db
    .prepare(
      `SELECT users.*, coalesce(identities.subject, '') AS login_key FROM users
       LEFT JOIN identities ON identities.project_id = users.project_id AND identities.user_id = users.id
         AND identities.provider = 'password'
       WHERE users.project_id = ?1
         AND (coalesce(identities.subject, '') > ?2 OR (coalesce(identities.subject, '') = ?2 AND users.id > ?3))
         AND (?4 = '' OR substr(identities.subject, 1, length(?4)) = ?4)
       ORDER BY login_key, users.id LIMIT ?5`,
    )
    .bind(projectId, afterLogin, afterId, prefix, options.limit + 1)
    .all<UserRow & { login_key: string }>();
  const page = results.slice(0, options.limit);
  const ids = page.map((row) => row.id);
  const identities = ids.length
    ? (
        await db
          .prepare(
            `SELECT provider, subject, user_id, email, created_at FROM identities
             WHERE project_id = ?1 AND user_id IN (SELECT value FROM json_each(?2)) ORDER BY created_at, provider`,
          )
          .bind(projectId, JSON.stringify(ids))
          .all<IdentityRow>()
      ).results
    : [];
  const last = page.at(-1);
  return {
    items: page.map((row) =>
      toAccountUser(
        toUserRecord(row),
        identities.filter((identity) => identity.user_id === row.id),
      ),
    ),
    next_cursor: results.length > options.limit && last ? encodeCursor(last.login_key, last.id) : null,
  };
}

export interface UserChanges {
  role?: string | null | undefined;
  claims?: Record<string, unknown> | undefined;
  display_name?: string | null | undefined;
  profile?: Record<string, unknown> | undefined;
  disabled?: boolean | undefined;
  email_verified?: boolean | undefined;
}

/**
 * Changes a user. Disabling ends every session at once (in the same batch) and refuses its
 * sign-ins and refreshes; its access tokens already issued live until they expire.
 *
 * @throws {ApiError} `not_found`
 */
export async function updateUser(
  db: D1Database,
  projectId: string,
  userId: string,
  changes: UserChanges,
): Promise<AccountUser> {
  const now = new Date().toISOString();
  const has = (value: unknown) => (value === undefined ? 0 : 1);
  const statements = [
    db
      .prepare(
        `UPDATE users SET
           role = CASE WHEN ?3 THEN ?4 ELSE role END,
           claims = coalesce(?5, claims),
           display_name = CASE WHEN ?6 THEN ?7 ELSE display_name END,
           profile = coalesce(?8, profile),
           disabled_at = CASE WHEN ?9 IS NULL THEN disabled_at WHEN ?9 THEN coalesce(disabled_at, ?11) ELSE NULL END,
           email_verified_at = CASE WHEN ?10 IS NULL THEN email_verified_at WHEN ?10 THEN coalesce(email_verified_at, ?11) ELSE NULL END,
           updated_at = ?11
         WHERE project_id = ?1 AND id = ?2`,
      )
      .bind(
        projectId,
        userId,
        has(changes.role),
        changes.role ?? null,
        changes.claims ? JSON.stringify(changes.claims) : null,
        has(changes.display_name),
        changes.display_name ?? null,
        changes.profile ? JSON.stringify(changes.profile) : null,
        changes.disabled === undefined ? null : changes.disabled ? 1 : 0,
        changes.email_verified === undefined ? null : changes.email_verified ? 1 : 0,
        now,
      ),
  ];
  if (changes.disabled) statements.push(revokeUserSessionsStatement(db, projectId, userId, "disabled"));
  await db.batch(statements);
  return requireAccountUser(db, projectId, userId);
}

/** Deletes a user; its identities, sessions and tokens go with it (foreign keys). False if there was none. */
export async function deleteUser(db: D1Database, projectId: string, userId: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM users WHERE project_id = ?1 AND id = ?2").bind(projectId, userId).run();
  return result.meta.changes > 0;
}
