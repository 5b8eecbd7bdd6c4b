import { ApiError } from "../../core/errors";
import type { BucketRecord, BucketRules, FileMetadata } from "../../core/files/wire";
import {
  type AuthValues,
  authValues,
  type Caller,
  type FilterNode,
  matches,
  parseExpression,
  type Root,
  TRUE,
} from "../../core/query";

/** The operations a bucket rule can allow. */
export const FILE_OPERATIONS = ["read", "create", "update", "delete"] as const;
export type FileOperation = (typeof FILE_OPERATIONS)[number];

/** What a rule sees as `file`: the file as stored (read, delete) or as it will be (create, update). */
export interface FileAttributes {
  path: string;
  size: number;
  content_type: string;
  metadata: FileMetadata;
}

/** Bucket rules name `file` (the file) and `auth` (the caller); `file` is the AST's `doc` root. */
const FILE_RULE_ROOTS: Readonly<Record<string, Root>> = { file: "doc", auth: "auth" };

/** Parses one bucket rule (`file.path startswith "users/" + auth.id + "/"`). */
export function parseBucketRule(text: string): FilterNode {
  return parseExpression(text, { scope: "rule", roots: FILE_RULE_ROOTS });
}

/**
 * Parses every rule of a bucket, so a broken rule is refused when it is set.
 *
 * @throws {ApiError} `invalid_filter` naming the operation whose rule does not parse.
 */
export function validateBucketRules(rules: BucketRules): void {
  for (const op of FILE_OPERATIONS) {
    const text = rules[op];
    if (!text) continue;
    try {
      parseBucketRule(text);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError("invalid_filter", `The ${op} rule is not valid: ${error.message}`, {
        ...(error.details as object | undefined),
        rule: op,
      });
    }
  }
}

/**
 * What one caller may do in one bucket. Secret keys bypass rules. Everyone else needs a rule for
 * the operation: with none, the bucket is closed to them (secure by default). A public bucket is
 * readable by anyone, with or without a key (`caller` null); its writes still need rules.
 */
export class FileAccess {
  readonly auth: AuthValues;

  constructor(
    readonly bucket: BucketRecord,
    /** null: no credentials (only a public bucket's reads, or a signed URL, get this far). */
    private readonly caller: Caller | null,
  ) {
    this.auth = authValues(caller);
  }

  /** True for a secret key. */
  get bypass(): boolean {
    return this.caller?.kind === "secret";
  }

  /** Reads need no rule: a secret key, or a public bucket. */
  get readsOpen(): boolean {
    return this.bypass || this.bucket.public;
  }

  /**
   * The condition a listing ANDs into its SQL (over the row's `attrs`), so paging only ever sees
   * readable files.
   *
   * @throws {ApiError} `forbidden` when the bucket has no read rule and is not public.
   */
  listCondition(): FilterNode {
    if (this.readsOpen) return TRUE;
    const text = this.bucket.rules.read;
    if (!text) throw this.#closed("read");
    return parseBucketRule(text);
  }

  /**
   * Evaluates the rule of `op` for one file.
   *
   * @throws {ApiError} `forbidden` when no rule is set for `op` (and the bucket does not open it).
   */
  allows(op: FileOperation, file: FileAttributes): boolean {
    if (this.bypass || (op === "read" && this.bucket.public)) return true;
    const text = this.bucket.rules[op];
    if (!text) throw this.#closed(op);
    return matches(parseBucketRule(text), { doc: file, auth: this.auth });
  }

  /**
   * True when the read rule denies this stored file to the caller: it is `not_found` to them on
   * every operation. A bucket without a read rule hides nothing (its write rules still decide).
   */
  hides(file: FileAttributes): boolean {
    if (this.readsOpen || !this.bucket.rules.read) return false;
    return !this.allows("read", file);
  }

  /**
   * Like `allows`, and throws when the rule says no.
   *
   * @throws {ApiError} `forbidden`.
   */
  assert(op: FileOperation, file: FileAttributes): void {
    if (!this.allows(op, file)) {
      throw new ApiError(
        "forbidden",
        `The ${op} rule of bucket "${this.bucket.name}" does not allow this ${op} of "${file.path}".`,
        { bucket: this.bucket.name, operation: op, path: file.path },
      );
    }
  }

  #closed(op: FileOperation) {
    return new ApiError(
      "forbidden",
      `Bucket "${this.bucket.name}" has no ${op} rule, so only secret keys may ${op} in it. Set its rules with PATCH /v1/storage/buckets/${this.bucket.name} (secret key).`,
      { bucket: this.bucket.name, operation: op },
    );
  }
}
