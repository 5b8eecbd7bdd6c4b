import type { OidcProvider } from "../../core/accounts/oidc";
import { ApiError } from "../../core/errors";

/** A provider configuration with its client secret: only the sign-in flow reads this. */
export interface OidcProviderConfig extends OidcProvider {
  client_secret: string;
}

/** What a create or an update sets (validated by the route). */
export interface OidcProviderSettings {
  issuer: string;
  client_id: string;
  client_secret: string;
  scopes: string[];
  redirect_urls: string[];
}

interface OidcProviderRow {
  name: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  scopes: string;
  redirect_urls: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS = "name, issuer, client_id, client_secret, scopes, redirect_urls, created_at, updated_at";

const toConfig = (row: OidcProviderRow): OidcProviderConfig => ({
  name: row.name,
  issuer: row.issuer,
  client_id: row.client_id,
  client_secret: row.client_secret,
  scopes: JSON.parse(row.scopes) as string[],
  redirect_urls: JSON.parse(row.redirect_urls) as string[],
  created_at: row.created_at,
  updated_at: row.updated_at,
});

/** The listing of a configuration: the secret is write-only. */
export function withoutSecret({ client_secret: _secret, ...provider }: OidcProviderConfig): OidcProvider {
  return provider;
}

const notFound = (name: string) =>
  new ApiError("not_found", `This project has no OpenID Connect provider named "${name}".`, { provider: name });

/**
 * A project's provider configuration, secret included.
 *
 * @throws {ApiError} `not_found` when the project has no provider of that name.
 */
export async function requireOidcProvider(
  db: D1Database,
  projectId: string,
  name: string,
): Promise<OidcProviderConfig> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM oidc_providers WHERE project_id = ?1 AND name = ?2`)
    .bind(projectId, name)
    .first<OidcProviderRow>();
  if (!row) throw notFound(name);
  return toConfig(row);
}

/** Every provider of a project, by name, without secrets (a project has a handful). */
export async function listOidcProviders(db: D1Database, projectId: string): Promise<OidcProvider[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM oidc_providers WHERE project_id = ?1 ORDER BY name`)
    .bind(projectId)
    .all<OidcProviderRow>();
  return results.map((row) => withoutSecret(toConfig(row)));
}

/**
 * Adds a provider to a project.
 *
 * @throws {ApiError} `conflict` when the project already has a provider of that name.
 */
export async function createOidcProvider(
  db: D1Database,
  projectId: string,
  name: string,
  settings: OidcProviderSettings,
): Promise<OidcProvider> {
  const row = await db
    .prepare(
      `INSERT INTO oidc_providers (project_id, name, issuer, client_id, client_secret, scopes, redirect_urls, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
       ON CONFLICT (project_id, name) DO NOTHING
       RETURNING ${COLUMNS}`,
    )
    .bind(projectId, name, ...settingsValues(settings), new Date().toISOString())
    .first<OidcProviderRow>();
  if (!row) {
    throw new ApiError("conflict", `An OpenID Connect provider named "${name}" already exists.`, { provider: name });
  }
  return withoutSecret(toConfig(row));
}

/**
 * Changes the fields of `patch` and keeps the others.
 *
 * @throws {ApiError} `not_found`.
 */
export async function updateOidcProvider(
  db: D1Database,
  projectId: string,
  name: string,
  patch: Partial<OidcProviderSettings>,
): Promise<OidcProvider> {
  const current = await requireOidcProvider(db, projectId, name);
  const next: OidcProviderSettings = { ...current, ...definedFields(patch) };
  const row = await db
    .prepare(
      `UPDATE oidc_providers SET issuer = ?3, client_id = ?4, client_secret = ?5, scopes = ?6, redirect_urls = ?7,
         updated_at = ?8
       WHERE project_id = ?1 AND name = ?2
       RETURNING ${COLUMNS}`,
    )
    .bind(projectId, name, ...settingsValues(next), new Date().toISOString())
    .first<OidcProviderRow>();
  if (!row) throw notFound(name);
  return withoutSecret(toConfig(row));
}

/**
 * Removes a provider; its sign-ins in flight go with it. Identities already linked stay (their
 * users keep their accounts; re-creating the provider under the same name signs them in again).
 *
 * @throws {ApiError} `not_found`.
 */
export async function deleteOidcProvider(db: D1Database, projectId: string, name: string): Promise<void> {
  const result = await db
    .prepare("DELETE FROM oidc_providers WHERE project_id = ?1 AND name = ?2")
    .bind(projectId, name)
    .run();
  if (result.meta.changes === 0) throw notFound(name);
}

function settingsValues(settings: OidcProviderSettings) {
  return [
    settings.issuer,
    settings.client_id,
    settings.client_secret,
    JSON.stringify(settings.scopes),
    JSON.stringify(settings.redirect_urls),
  ];
}

/** The fields of a patch that were sent (an optional field left out arrives as undefined). */
function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}
