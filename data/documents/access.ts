import { ApiError } from "../../core/errors";
import { type AuthValues, authValues, type Caller, type FilterNode, matches, parseRule, TRUE } from "../../core/query";
import { type CollectionRules, type RuleOperation, selectSettings } from "./collection-settings";

/**
 * What one caller may do in one collection. Secret keys bypass rules. Everyone else needs a rule
 * for the operation: with none, the collection is closed to them (secure by default). `list`
 * falls back to the `read` rule when it has none of its own, since a listed document is one the
 * caller could read anyway.
 */
export class CollectionAccess {
  readonly auth: AuthValues;
  /**
   * Each rule's AST, parsed on first use: a batch or a watcher asks the same rule once per
   * document, and the text never changes for this instance.
   */
  readonly #parsed = new Map<RuleOperation, FilterNode>();

  private constructor(
    readonly collection: string,
    /** null for a secret key: no rules apply. */
    private readonly rules: CollectionRules | null,
    auth: Caller,
  ) {
    this.auth = authValues(auth);
  }

  /** Loads the collection's rules, unless the caller holds a secret key (one query saved). */
  static async load(db: D1Database, auth: Caller, collection: string): Promise<CollectionAccess> {
    if (auth.kind === "secret") return new CollectionAccess(collection, null, auth);
    const row = await selectSettings(db, auth.projectId, collection).first<{ rules: string }>();
    return CollectionAccess.fromSettings(auth, collection, row);
  }

  /**
   * The access of a caller without a secret key, from the collection's settings row (null: it
   * has none), read by the caller with `selectSettings`, e.g. in one batch with the documents.
   */
  static fromSettings(auth: Caller, collection: string, row: { rules: string } | null): CollectionAccess {
    return new CollectionAccess(collection, row ? (JSON.parse(row.rules) as CollectionRules) : {}, auth);
  }

  /** True for a secret key. */
  get bypass(): boolean {
    return this.rules === null;
  }

  /**
   * The condition a list, count or aggregate must AND into its SQL, so that paging and totals
   * only ever see allowed documents.
   *
   * @throws {ApiError} `forbidden` when no list (or read) rule is set.
   */
  listCondition(): FilterNode {
    if (this.rules === null) return TRUE;
    const op = this.rules.list ? "list" : "read";
    if (!this.rules[op]) throw this.#closed("list");
    return this.#rule(op, this.rules[op]);
  }

  /**
   * Evaluates the rule of `op` for one document: `doc` is the stored data (absent on create),
   * `data` the data the write would store (absent on read and delete).
   *
   * @throws {ApiError} `forbidden` when no rule is set for `op`.
   */
  allows(op: Exclude<RuleOperation, "list">, scope: { doc?: unknown; data?: unknown }): boolean {
    if (this.rules === null) return true;
    const text = this.rules[op];
    if (!text) throw this.#closed(op);
    return matches(this.#rule(op, text), { ...scope, auth: this.auth });
  }

  /**
   * True when the collection's read rule denies `doc` to this caller: such a document is
   * `not_found` to them on reads and writes alike. A collection without a read rule hides
   * nothing here (its write rules still decide), so write-only collections keep working.
   */
  hides(doc: unknown): boolean {
    if (this.rules === null || !this.rules.read) return false;
    return !this.allows("read", { doc });
  }

  /** True when a read rule applies to this caller, so documents may be hidden from them. */
  get mayHide(): boolean {
    return this.rules !== null && Boolean(this.rules.read);
  }

  /**
   * Like `allows`, and throws when the rule says no.
   *
   * @throws {ApiError} `forbidden`.
   */
  assert(op: "create" | "update" | "delete", scope: { doc?: unknown; data?: unknown }, id: string): void {
    if (!this.allows(op, scope)) {
      throw new ApiError(
        "forbidden",
        `The ${op} rule of collection "${this.collection}" does not allow this ${op} of "${id}".`,
        {
          collection: this.collection,
          operation: op,
          id,
        },
      );
    }
  }

  #rule(op: RuleOperation, text: string): FilterNode {
    let node = this.#parsed.get(op);
    if (!node) {
      node = parseRule(text);
      this.#parsed.set(op, node);
    }
    return node;
  }

  #closed(op: RuleOperation) {
    return new ApiError(
      "forbidden",
      `Collection "${this.collection}" has no ${op} rule, so only secret keys may ${op} in it. Set one with PUT /v1/collections/${this.collection}/rules (secret key).`,
      { collection: this.collection, operation: op },
    );
  }
}
