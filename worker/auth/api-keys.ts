import { randomString, sha256Hex } from "../../core/random";

export type KeyKind = "public" | "secret";

const PREFIX: Record<KeyKind, string> = { public: "pk", secret: "sk" };
const KEY_PATTERN = /^(pk|sk)_([0-9A-Za-z]{16})_([0-9A-Za-z]{40})$/;

export interface GeneratedKey {
  /** The row id, also the middle part of the key. Safe to show and log. */
  id: string;
  /** The full key, shown once to whoever created it and never stored. */
  key: string;
  /** SHA-256 of the secret part: the only thing stored. */
  secretHash: string;
}

/** Makes a new key: `pk_<16 id chars>_<40 secret chars>` (about 238 bits of secret). */
export async function generateApiKey(kind: KeyKind): Promise<GeneratedKey> {
  const id = randomString(16);
  const secret = randomString(40);
  return { id, key: `${PREFIX[kind]}_${id}_${secret}`, secretHash: await sha256Hex(secret) };
}

export interface ParsedKey {
  kind: KeyKind;
  id: string;
  secret: string;
}

/** Splits a presented key into its parts, or `null` if it is not shaped like one of ours. */
export function parseApiKey(raw: string): ParsedKey | null {
  const match = KEY_PATTERN.exec(raw);
  if (!match) return null;
  const [, prefix, id, secret] = match as unknown as [string, string, string, string];
  return { kind: prefix === "pk" ? "public" : "secret", id, secret };
}
