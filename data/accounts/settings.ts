/**
 * A project's account settings (login id kind, password policy, token lifetimes, webhook) in
 * `auth_settings`: one JSON object per project, the defaults when there is no row.
 *
 * @module
 */
import { type AuthSettings, DEFAULT_AUTH_SETTINGS } from "../../core/rest/accounts";

/** The settings and the webhook's signing secret (kept with them; only the secret key reads it). */
export interface StoredAuthSettings {
  settings: AuthSettings;
  webhookSecret: string | null;
}

interface StoredJson extends Partial<AuthSettings> {
  webhook_secret?: string | null;
}

/** The statement that reads a project's settings (for a batch); read it with {@link toAuthSettings}. */
export const authSettingsStatement = (db: D1Database, projectId: string) =>
  db.prepare("SELECT settings FROM auth_settings WHERE project_id = ?1").bind(projectId);

/** The settings from an `authSettingsStatement` row (or none), over the defaults. */
export function toAuthSettings(row: { settings: string } | null | undefined): StoredAuthSettings {
  const { webhook_secret, ...stored } = row ? (JSON.parse(row.settings) as StoredJson) : {};
  // Defaults under stored values: a setting added later has its default for existing projects.
  return { settings: { ...DEFAULT_AUTH_SETTINGS, ...stored }, webhookSecret: webhook_secret ?? null };
}

export async function getAuthSettings(db: D1Database, projectId: string): Promise<StoredAuthSettings> {
  return toAuthSettings(await authSettingsStatement(db, projectId).first<{ settings: string }>());
}

/** Replaces the project's settings. */
export async function putAuthSettings(db: D1Database, projectId: string, stored: StoredAuthSettings): Promise<void> {
  const json = JSON.stringify({ ...stored.settings, webhook_secret: stored.webhookSecret });
  await db
    .prepare(
      `INSERT INTO auth_settings (project_id, settings, updated_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (project_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
    )
    .bind(projectId, json, new Date().toISOString())
    .run();
}
