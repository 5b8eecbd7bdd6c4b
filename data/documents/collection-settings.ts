import { z } from "zod";
import { DEFAULT_RETENTION_MAX_AGE_SECONDS, DEFAULT_RETENTION_MAX_CHANGES } from "../../core/documents/limits";
import type { CollectionRules } from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import { type FilterNode, MAX_FILTER_LENGTH, parseExpression, type Root } from "../../core/query";

/** The operations a rule can allow. */
export const RULE_OPERATIONS = ["list", "read", "create", "update", "delete"] as const;
export type RuleOperation = (typeof RULE_OPERATIONS)[number];

/** Rule texts per operation; a missing (or null) rule means only secret keys may do it. */
export type { CollectionRules } from "../../core/documents/wire";

/** How much of the change feed a collection keeps. */
export interface Retention {
  max_changes: number;
  max_age_seconds: number;
}

export interface CollectionSettings {
  collection: string;
  rules: CollectionRules;
  retention: Retention;
  updated_at: string | null;
}

const RuleText = z.string().trim().min(1).max(MAX_FILTER_LENGTH);

/** `PUT …/rules` body: each operation's rule, or null to remove it. Unlisted operations are removed too. */
export const RulesBody = z.strictObject(
  Object.fromEntries(RULE_OPERATIONS.map((op) => [op, RuleText.nullable().optional()])) as Record<
    RuleOperation,
    z.ZodOptional<z.ZodNullable<typeof RuleText>>
  >,
);

/** `PUT …/retention` body. */
export const RetentionBody = z.strictObject({
  max_changes: z.number().int().min(100).max(1_000_000).default(DEFAULT_RETENTION_MAX_CHANGES),
  max_age_seconds: z
    .number()
    .int()
    .min(60)
    .max(365 * 24 * 3600)
    .default(DEFAULT_RETENTION_MAX_AGE_SECONDS),
});

interface SettingsRow {
  rules: string;
  retention_max_changes: number | null;
  retention_max_age_seconds: number | null;
  updated_at: string;
}

function toSettings(collection: string, row: SettingsRow | null): CollectionSettings {
  return {
    collection,
    rules: row ? (JSON.parse(row.rules) as CollectionRules) : {},
    retention: {
      max_changes: row?.retention_max_changes ?? DEFAULT_RETENTION_MAX_CHANGES,
      max_age_seconds: row?.retention_max_age_seconds ?? DEFAULT_RETENTION_MAX_AGE_SECONDS,
    },
    updated_at: row?.updated_at ?? null,
  };
}

/** The statement that reads a collection's settings (for use inside a batch). */
export function selectSettings(db: D1Database, projectId: string, collection: string) {
  return db
    .prepare(
      `SELECT rules, retention_max_changes, retention_max_age_seconds, updated_at
       FROM collection_settings WHERE project_id = ? AND collection = ?`,
    )
    .bind(projectId, collection);
}

/** A collection's settings, with defaults for a collection that has none. */
export async function getCollectionSettings(db: D1Database, projectId: string, collection: string) {
  return toSettings(collection, await selectSettings(db, projectId, collection).first<SettingsRow>());
}

/**
 * Parses every rule of a `PUT …/rules` body, so a broken rule is refused when it is set (with the
 * parser's position) rather than failing every request later.
 *
 * @throws {ApiError} `invalid_filter` naming the operation whose rule does not parse.
 */
export function validateRules(body: z.output<typeof RulesBody>): void {
  for (const op of RULE_OPERATIONS) {
    const text = body[op];
    if (!text) continue;
    const roots = RULE_ROOTS[op];
    try {
      const node = parseExpression(text, { scope: "rule", roots: Object.fromEntries(roots.map((r) => [r, r])) });
      assertKnownAuthFields(node);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError("invalid_filter", `The ${op} rule is not valid: ${error.message}`, {
        ...(error.details as object | undefined),
        rule: op,
        roots,
      });
    }
  }
}

/**
 * The values each operation's rule can see: a root that is never there (`doc` on a create, `data`
 * on a read) would be null on every request, so a rule naming it is refused when it is set.
 */
const RULE_ROOTS: Record<RuleOperation, readonly Root[]> = {
  list: ["doc", "auth"],
  read: ["doc", "auth"],
  create: ["data", "auth"],
  update: ["doc", "data", "auth"],
  delete: ["doc", "auth"],
};

/** What `auth` holds (core/query/auth-values.ts); `claims` is an object whose fields are the app's. */
const AUTH_FIELDS = ["id", "role", "kind", "claims"];

/** Refuses `auth.<unknown>` (`auth.user_id` is always null: the user id is `auth.id`). */
function assertKnownAuthFields(root: FilterNode): void {
  const nodes: FilterNode[] = [root];
  for (let node = nodes.pop(); node; node = nodes.pop()) {
    if (node.kind === "and" || node.kind === "or") nodes.push(...node.children);
    else if (node.kind === "not") nodes.push(node.child);
    else if (node.kind === "compare") {
      for (const operand of [node.left, node.right]) {
        const fields = operand.kind === "concat" ? operand.parts : [operand];
        for (const field of fields) {
          const name = field.kind === "field" && field.root === "auth" ? field.path[0] : undefined;
          if (name !== undefined && !AUTH_FIELDS.includes(name)) {
            throw new ApiError(
              "invalid_filter",
              `auth has no field '${name}': it holds ${AUTH_FIELDS.map((f) => `auth.${f}`).join(", ")} (auth.claims.* are the token's claims).`,
              { auth_fields: AUTH_FIELDS },
            );
          }
        }
      }
    }
  }
}

/** Replaces a collection's rules (validate them first with `validateRules`). */
export async function putCollectionRules(
  db: D1Database,
  projectId: string,
  collection: string,
  body: z.output<typeof RulesBody>,
): Promise<CollectionSettings> {
  const rules: CollectionRules = {};
  for (const op of RULE_OPERATIONS) {
    const text = body[op];
    if (text) rules[op] = text;
  }
  const row = await db
    .prepare(
      `INSERT INTO collection_settings (project_id, collection, rules, updated_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (project_id, collection) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at
       RETURNING rules, retention_max_changes, retention_max_age_seconds, updated_at`,
    )
    .bind(projectId, collection, JSON.stringify(rules), new Date().toISOString())
    .first<SettingsRow>();
  return toSettings(collection, row);
}

/** Sets how much of a collection's change feed is kept. */
export async function putCollectionRetention(
  db: D1Database,
  projectId: string,
  collection: string,
  retention: Retention,
): Promise<CollectionSettings> {
  const row = await db
    .prepare(
      `INSERT INTO collection_settings (project_id, collection, retention_max_changes, retention_max_age_seconds, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (project_id, collection) DO UPDATE SET retention_max_changes = excluded.retention_max_changes,
         retention_max_age_seconds = excluded.retention_max_age_seconds, updated_at = excluded.updated_at
       RETURNING rules, retention_max_changes, retention_max_age_seconds, updated_at`,
    )
    .bind(projectId, collection, retention.max_changes, retention.max_age_seconds, new Date().toISOString())
    .first<SettingsRow>();
  return toSettings(collection, row);
}
