import { BoundedCache } from "../../data/d1/precondition";
import { findApiKey, findSigningKey, type KeyRecord, type SigningKey } from "../projects/project-store";

/**
 * Per-isolate caches of what identifies a credential, so a request needs no trip of its own to
 * learn whose key or token it holds. Only what never changes is trusted from here: a key's
 * project, kind and secret hash, a signing key's project and secret. What can change (a key's
 * revocation, the project's origins and channel defaults, the project's existence) is read again
 * on every request, in the request's own first batch (worker/auth/standing.ts), so a revoked key
 * stops working at once. An entry is filled by the full lookup on a miss.
 */
const CACHED = 2000;
const keys = new BoundedCache<KeyRecord>(CACHED);
const signingKeys = new BoundedCache<SigningKey>(CACHED);

/** A key's record: `fresh` when it was just read (its changing parts are current, not last seen). */
export async function keyRecord(db: D1Database, keyId: string): Promise<{ record: KeyRecord | null; fresh: boolean }> {
  const cached = keys.get(keyId);
  if (cached) return { record: cached, fresh: false };
  const record = await findApiKey(db, keyId);
  if (record) keys.set(keyId, record);
  return { record, fresh: true };
}

/** Records what a request's standing check read about a key, for the next request's context. */
export function rememberKey(record: KeyRecord): void {
  keys.set(record.id, record);
}

/** A signing key by kid, and whether it was just read. */
export async function signingKey(db: D1Database, kid: string): Promise<{ key: SigningKey | null; fresh: boolean }> {
  const cached = signingKeys.get(kid);
  if (cached) return { key: cached, fresh: false };
  const key = await findSigningKey(db, kid);
  if (key) signingKeys.set(kid, key);
  return { key, fresh: true };
}
