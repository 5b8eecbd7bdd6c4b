import type {
  EndpointAccess,
  EndpointRateLimit,
  EndpointRecord,
  EndpointTarget,
  EndpointTimeouts,
} from "../../core/endpoints/wire";
import { ApiError } from "../../core/errors";

/** Everything about an endpoint, the write-only secret headers included: only the proxy reads those. */
export interface EndpointSettings {
  description: string | null;
  target: EndpointTarget;
  secretHeaders: Record<string, string>;
  timeouts: EndpointTimeouts;
  maxBodyBytes: number;
  rateLimit: EndpointRateLimit;
  access: EndpointAccess;
}

/** An endpoint as stored: its settings, its label and its times. */
export interface StoredEndpoint extends EndpointSettings {
  label: string;
  createdAt: string;
  updatedAt: string;
}

interface EndpointRow {
  label: string;
  description: string | null;
  target_kind: "url" | "tunnel";
  target_url: string | null;
  secret_headers: string;
  first_byte_timeout_ms: number;
  idle_timeout_ms: number;
  total_timeout_ms: number;
  max_body_bytes: number;
  rate_limit_per_label: number | null;
  rate_limit_per_caller: number | null;
  allow_public_key: number;
  allow_user_tokens: number;
  access_rule: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = `label, description, target_kind, target_url, secret_headers, first_byte_timeout_ms,
  idle_timeout_ms, total_timeout_ms, max_body_bytes, rate_limit_per_label, rate_limit_per_caller,
  allow_public_key, allow_user_tokens, access_rule, created_at, updated_at`;

function fromRow(row: EndpointRow): StoredEndpoint {
  return {
    label: row.label,
    description: row.description,
    target: row.target_kind === "url" && row.target_url ? { kind: "url", url: row.target_url } : { kind: "tunnel" },
    secretHeaders: JSON.parse(row.secret_headers) as Record<string, string>,
    timeouts: {
      first_byte_ms: row.first_byte_timeout_ms,
      idle_ms: row.idle_timeout_ms,
      total_ms: row.total_timeout_ms,
    },
    maxBodyBytes: row.max_body_bytes,
    rateLimit: { per_label: row.rate_limit_per_label, per_caller: row.rate_limit_per_caller },
    access: {
      public_key: row.allow_public_key === 1,
      user_tokens: row.allow_user_tokens === 1,
      rule: row.access_rule,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The endpoint as the management API shows it: the secret headers by name only. */
export function toEndpointRecord(endpoint: StoredEndpoint): EndpointRecord {
  return {
    label: endpoint.label,
    description: endpoint.description,
    target: endpoint.target,
    header_names: Object.keys(endpoint.secretHeaders).sort(),
    timeouts: endpoint.timeouts,
    max_body_bytes: endpoint.maxBodyBytes,
    rate_limit: endpoint.rateLimit,
    access: endpoint.access,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
  };
}

function settingsValues(settings: EndpointSettings) {
  return [
    settings.description,
    settings.target.kind,
    settings.target.kind === "url" ? settings.target.url : null,
    JSON.stringify(settings.secretHeaders),
    settings.timeouts.first_byte_ms,
    settings.timeouts.idle_ms,
    settings.timeouts.total_ms,
    settings.maxBodyBytes,
    settings.rateLimit.per_label,
    settings.rateLimit.per_caller,
    settings.access.public_key ? 1 : 0,
    settings.access.user_tokens ? 1 : 0,
    settings.access.rule,
  ] as const;
}

const notFound = (label: string) =>
  new ApiError("endpoint_not_found", `This project has no endpoint labelled "${label}".`, { label });

/** A project's endpoint, or null. One primary-key read: the proxy does it on every call. */
export async function getEndpoint(db: D1Database, projectId: string, label: string): Promise<StoredEndpoint | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM endpoints WHERE project_id = ? AND label = ?`)
    .bind(projectId, label)
    .first<EndpointRow>();
  return row ? fromRow(row) : null;
}

/**
 * A project's endpoint.
 *
 * @throws {ApiError} `endpoint_not_found`.
 */
export async function requireEndpoint(db: D1Database, projectId: string, label: string): Promise<StoredEndpoint> {
  const endpoint = await getEndpoint(db, projectId, label);
  if (!endpoint) throw notFound(label);
  return endpoint;
}

/** Every endpoint of a project, by label (a project has few). */
export async function listEndpoints(db: D1Database, projectId: string): Promise<StoredEndpoint[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM endpoints WHERE project_id = ? ORDER BY label`)
    .bind(projectId)
    .all<EndpointRow>();
  return results.map(fromRow);
}

/**
 * Registers an endpoint.
 *
 * @throws {ApiError} `conflict` when the project already has an endpoint of that label.
 */
export async function createEndpoint(
  db: D1Database,
  projectId: string,
  label: string,
  settings: EndpointSettings,
): Promise<StoredEndpoint> {
  const row = await db
    .prepare(
      `INSERT INTO endpoints (project_id, label, description, target_kind, target_url, secret_headers,
         first_byte_timeout_ms, idle_timeout_ms, total_timeout_ms, max_body_bytes, rate_limit_per_label,
         rate_limit_per_caller, allow_public_key, allow_user_tokens, access_rule, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)
       ON CONFLICT (project_id, label) DO NOTHING
       RETURNING ${COLUMNS}`,
    )
    .bind(projectId, label, ...settingsValues(settings), new Date().toISOString())
    .first<EndpointRow>();
  if (!row) {
    throw new ApiError(
      "conflict",
      `An endpoint labelled "${label}" already exists. Change it with PATCH /v1/endpoints/${label}.`,
      { label },
    );
  }
  return fromRow(row);
}

/**
 * Replaces an endpoint's settings (the route merges a PATCH into the current ones first).
 *
 * @throws {ApiError} `endpoint_not_found`.
 */
export async function updateEndpoint(
  db: D1Database,
  projectId: string,
  label: string,
  settings: EndpointSettings,
): Promise<StoredEndpoint> {
  const row = await db
    .prepare(
      `UPDATE endpoints SET description = ?3, target_kind = ?4, target_url = ?5, secret_headers = ?6,
         first_byte_timeout_ms = ?7, idle_timeout_ms = ?8, total_timeout_ms = ?9, max_body_bytes = ?10,
         rate_limit_per_label = ?11, rate_limit_per_caller = ?12, allow_public_key = ?13,
         allow_user_tokens = ?14, access_rule = ?15, updated_at = ?16
       WHERE project_id = ?1 AND label = ?2
       RETURNING ${COLUMNS}`,
    )
    .bind(projectId, label, ...settingsValues(settings), new Date().toISOString())
    .first<EndpointRow>();
  if (!row) throw notFound(label);
  return fromRow(row);
}

/**
 * Deletes an endpoint. Calls already forwarded finish; new ones get `endpoint_not_found`.
 *
 * @throws {ApiError} `endpoint_not_found`.
 */
export async function deleteEndpoint(db: D1Database, projectId: string, label: string): Promise<void> {
  const result = await db
    .prepare("DELETE FROM endpoints WHERE project_id = ? AND label = ?")
    .bind(projectId, label)
    .run();
  if (result.meta.changes === 0) throw notFound(label);
}
