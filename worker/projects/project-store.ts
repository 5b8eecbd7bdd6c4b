import type { CapabilityMap } from "../../core/protocol/capabilities";
import { BASE36, randomString } from "../../core/random";
import { dropProjectIndexes } from "../../data/documents/indexes";
import { generateApiKey, type KeyKind } from "../auth/api-keys";

/** A project as the admin API returns it. */
export interface Project {
  id: string;
  name: string;
  allowed_origins: string[];
  /** What public keys (and tokens without a `channels` claim) may do on channels; null: everything. */
  channel_capabilities: CapabilityMap | null;
  created_at: string;
}

/** An API key as listed: never the key itself, only its id and state. */
export interface ApiKeyInfo {
  id: string;
  kind: KeyKind;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
}

interface ProjectRow {
  id: string;
  name: string;
  allowed_origins: string;
  channel_capabilities: string | null;
  created_at: string;
}

const toProject = (row: ProjectRow): Project => ({
  id: row.id,
  name: row.name,
  allowed_origins: JSON.parse(row.allowed_origins) as string[],
  channel_capabilities:
    row.channel_capabilities === null ? null : (JSON.parse(row.channel_capabilities) as CapabilityMap),
  created_at: row.created_at,
});

const now = () => new Date().toISOString();

/** Project ids are short, lowercase and URL-safe: they appear in DO names and R2 keys. */
const newProjectId = () => `p${randomString(15, BASE36)}`;

export interface CreatedProject extends Project {
  keys: { public: string; secret: string };
}

/**
 * Creates a project with one public key, one secret key and a signing key, in one batch so a
 * project never exists without them.
 */
export async function createProject(
  db: D1Database,
  input: { name: string; allowed_origins: string[]; channel_capabilities?: CapabilityMap | null | undefined },
): Promise<CreatedProject> {
  const id = newProjectId();
  const createdAt = now();
  const channelCapabilities = input.channel_capabilities ?? null;
  const [publicKey, secretKey] = await Promise.all([generateApiKey("public"), generateApiKey("secret")]);
  await db.batch([
    db
      .prepare(
        "INSERT INTO projects (id, name, allowed_origins, channel_capabilities, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
      )
      .bind(id, input.name, JSON.stringify(input.allowed_origins), capabilitiesColumn(channelCapabilities), createdAt),
    insertKey(db, id, "public", publicKey, "default", createdAt),
    insertKey(db, id, "secret", secretKey, "default", createdAt),
    insertSigningKey(db, id, createdAt),
  ]);
  return {
    id,
    name: input.name,
    allowed_origins: input.allowed_origins,
    channel_capabilities: channelCapabilities,
    created_at: createdAt,
    keys: { public: publicKey.key, secret: secretKey.key },
  };
}

export async function getProject(db: D1Database, id: string): Promise<Project | null> {
  const row = await db.prepare("SELECT * FROM projects WHERE id = ?1").bind(id).first<ProjectRow>();
  return row ? toProject(row) : null;
}

/** Projects ordered by id; `after` is the last id of the previous page. */
export async function listProjects(db: D1Database, page: { after?: string; limit: number }) {
  const { results } = await db
    .prepare("SELECT * FROM projects WHERE id > ?1 ORDER BY id LIMIT ?2")
    .bind(page.after ?? "", page.limit + 1)
    .all<ProjectRow>();
  const items = results.slice(0, page.limit).map(toProject);
  const next_cursor = results.length > page.limit ? (items.at(-1)?.id ?? null) : null;
  return { items, next_cursor };
}

export async function updateProject(
  db: D1Database,
  id: string,
  patch: {
    name?: string | undefined;
    allowed_origins?: string[] | undefined;
    /** null resets to the built-in default; undefined leaves it as it is. */
    channel_capabilities?: CapabilityMap | null | undefined;
  },
): Promise<Project | null> {
  const row = await db
    .prepare(
      `UPDATE projects SET name = coalesce(?2, name), allowed_origins = coalesce(?3, allowed_origins),
         channel_capabilities = CASE WHEN ?4 THEN ?5 ELSE channel_capabilities END
       WHERE id = ?1 RETURNING *`,
    )
    .bind(
      id,
      patch.name ?? null,
      patch.allowed_origins ? JSON.stringify(patch.allowed_origins) : null,
      patch.channel_capabilities === undefined ? 0 : 1,
      capabilitiesColumn(patch.channel_capabilities ?? null),
    )
    .first<ProjectRow>();
  return row ? toProject(row) : null;
}

const capabilitiesColumn = (map: CapabilityMap | null): string | null => (map === null ? null : JSON.stringify(map));

/**
 * Deletes the project and, by cascade, every row it owns (keys, signing keys, documents, their
 * change feed, settings). Its documents' partial indexes are schema, not rows, so no cascade
 * reaches them: they are dropped first, while `document_indexes` still names them.
 */
export async function deleteProject(db: D1Database, id: string): Promise<boolean> {
  await dropProjectIndexes(db, id);
  const result = await db.prepare("DELETE FROM projects WHERE id = ?1").bind(id).run();
  return result.meta.changes > 0;
}

function insertKey(
  db: D1Database,
  projectId: string,
  kind: KeyKind,
  key: { id: string; secretHash: string },
  name: string | null,
  createdAt: string,
) {
  return db
    .prepare(
      "INSERT INTO api_keys (id, project_id, kind, name, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(key.id, projectId, kind, name, key.secretHash, createdAt);
}

/** Creates one more key for a project; returns the key (shown once) and its listing. */
export async function createApiKey(
  db: D1Database,
  projectId: string,
  input: { kind: KeyKind; name?: string | undefined },
): Promise<ApiKeyInfo & { key: string }> {
  const generated = await generateApiKey(input.kind);
  const createdAt = now();
  await insertKey(db, projectId, input.kind, generated, input.name ?? null, createdAt).run();
  return {
    id: generated.id,
    kind: input.kind,
    name: input.name ?? null,
    created_at: createdAt,
    revoked_at: null,
    key: generated.key,
  };
}

export async function listApiKeys(db: D1Database, projectId: string): Promise<ApiKeyInfo[]> {
  const { results } = await db
    .prepare(
      "SELECT id, kind, name, created_at, revoked_at FROM api_keys WHERE project_id = ?1 ORDER BY created_at, id",
    )
    .bind(projectId)
    .all<ApiKeyInfo>();
  return results;
}

/** Marks a key revoked. Every request looks the key up, so it stops working at once. */
export async function revokeApiKey(db: D1Database, projectId: string, keyId: string): Promise<ApiKeyInfo | null> {
  return db
    .prepare(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?3) WHERE project_id = ?1 AND id = ?2
       RETURNING id, kind, name, created_at, revoked_at`,
    )
    .bind(projectId, keyId, now())
    .first<ApiKeyInfo>();
}

/** What authentication needs to know about a presented key, in one query. */
export interface KeyRecord {
  id: string;
  project_id: string;
  kind: KeyKind;
  secret_hash: string;
  revoked_at: string | null;
  allowed_origins: string;
  /** The project's default channel capabilities (JSON), null for the built-in default. */
  channel_capabilities: string | null;
}

export function findApiKey(db: D1Database, keyId: string): Promise<KeyRecord | null> {
  return db
    .prepare(
      `SELECT k.id, k.project_id, k.kind, k.secret_hash, k.revoked_at, p.allowed_origins, p.channel_capabilities
       FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.id = ?1`,
    )
    .bind(keyId)
    .first<KeyRecord>();
}

// ===== Signing keys

export interface SigningKey {
  kid: string;
  project_id: string;
  secret: string;
  created_at: string;
  retired_at: string | null;
}

function insertSigningKey(db: D1Database, projectId: string, createdAt: string) {
  return db
    .prepare("INSERT INTO signing_keys (kid, project_id, secret, created_at) VALUES (?1, ?2, ?3, ?4)")
    .bind(`k${randomString(15)}`, projectId, randomString(64), createdAt);
}

/** The key that signs new tokens: the newest one not retired. */
export function currentSigningKey(db: D1Database, projectId: string): Promise<SigningKey | null> {
  return db
    .prepare("SELECT * FROM signing_keys WHERE project_id = ?1 AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1")
    .bind(projectId)
    .first<SigningKey>();
}

export function findSigningKey(db: D1Database, kid: string): Promise<SigningKey | null> {
  return db.prepare("SELECT * FROM signing_keys WHERE kid = ?1").bind(kid).first<SigningKey>();
}

/**
 * Retires the current signing key and creates a new one. A retired key keeps verifying the
 * tokens it signed until they expire; keys retired before `dropRetiredBefore` can no longer have
 * a live token and are deleted.
 */
export async function rotateSigningKey(db: D1Database, projectId: string, dropRetiredBefore: string) {
  const createdAt = now();
  await db.batch([
    db
      .prepare("DELETE FROM signing_keys WHERE project_id = ?1 AND retired_at IS NOT NULL AND retired_at < ?2")
      .bind(projectId, dropRetiredBefore),
    db
      .prepare("UPDATE signing_keys SET retired_at = ?2 WHERE project_id = ?1 AND retired_at IS NULL")
      .bind(projectId, createdAt),
    insertSigningKey(db, projectId, createdAt),
  ]);
  const current = await currentSigningKey(db, projectId);
  return { kid: current?.kid ?? null, rotated_at: createdAt };
}

/**
 * Whether any project of this deployment allows `origin` (listed, or `*`): what a CORS preflight,
 * which names no project, can be answered on. One query over the projects' origin lists; a
 * browser caches the answer for the preflight's max age.
 */
export async function someProjectAllowsOrigin(db: D1Database, origin: string): Promise<boolean> {
  const row = await db
    .prepare(
      "SELECT 1 AS found FROM projects WHERE EXISTS (SELECT 1 FROM json_each(projects.allowed_origins) WHERE value = '*' OR value = ?1) LIMIT 1",
    )
    .bind(origin)
    .first<{ found: number }>();
  return row !== null;
}
