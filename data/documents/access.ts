import { ApiError } from "../../core/errors";
import { type AuthValues, authValues, type Caller, type FilterNode, matches, parseRule, TRUE } from "../../core/query";
import { BoundedCache, type Precondition } from "../d1/precondition";
import { type CollectionRules, type RuleOperation, selectSettings } from "./collection-settings";

/** The rules text of a collection without settings (the column's default). */
const NO_RULES = "{}";

/**
 * The rules text each collection had when this isolate last read it, so a list can be built
 * under them before they are read again. Never trusted alone: the same batch reads them again and
 * a list built under old rules is built again (./collection-read.ts); a write carries
 * {@link CollectionAccess.precondition}'s guard, which aborts it if they changed.
 */
const lastSeenRules = new BoundedCache<string>(5000);
/** The settings row a batch's {@link CollectionAccess.settingsRead} result holds. */
export const settingsRowOf = (result: D1Result | null | undefined) =>
  result?.results[0] as { rules: string } | undefined;
const rulesKey = (projectId: string, collection: string) => `${projectId}\u0000${collection}`;

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
    /** The rules as stored (JSON), or null for a secret key: no rules apply. */
    readonly rulesText: string | null,
    readonly projectId: string,
    auth: Caller,
  ) {
    this.auth = authValues(auth);
    this.rules = rulesText === null ? null : (JSON.parse(rulesText) as CollectionRules);
  }

  private readonly rules: CollectionRules | null;

  /** Loads the collection's rules, unless the caller holds a secret key (one query saved). */
  static async load(db: D1Database, auth: Caller, collection: string): Promise<CollectionAccess> {
    const settings = CollectionAccess.settingsRead(db, auth, collection);
    return CollectionAccess.fromSettings(auth, collection, settings ? await settings.first<{ rules: string }>() : null);
  }

  /** The statement that reads the rules (for a batch), or null for a secret key, which needs none. */
  static settingsRead(db: D1Database, auth: Caller, collection: string): D1PreparedStatement | null {
    return auth.kind === "secret" ? null : selectSettings(db, auth.projectId, collection);
  }

  /**
   * The access a collection's settings row gives (null: it has none), read with
   * {@link settingsRead} (or `selectSettings`), e.g. in one batch with the documents. A secret key
   * bypasses rules whatever the row says.
   */
  static fromSettings(auth: Caller, collection: string, row: { rules: string } | null | undefined): CollectionAccess {
    if (auth.kind === "secret") return new CollectionAccess(collection, null, auth.projectId, auth);
    const text = row?.rules ?? NO_RULES;
    lastSeenRules.set(rulesKey(auth.projectId, collection), text);
    return new CollectionAccess(collection, text, auth.projectId, auth);
  }

  /**
   * The access under the rules this isolate last read for the collection (no rules when it never
   * read them): a guess, only to build statements whose batch reads the rules again.
   */
  static lastSeen(auth: Caller, collection: string): CollectionAccess {
    if (auth.kind === "secret") return new CollectionAccess(collection, null, auth.projectId, auth);
    const text = lastSeenRules.get(rulesKey(auth.projectId, collection)) ?? NO_RULES;
    return new CollectionAccess(collection, text, auth.projectId, auth);
  }

  /** True when this isolate has read the collection's rules (a secret key needs none). */
  static seen(auth: Caller, collection: string): boolean {
    return auth.kind === "secret" || lastSeenRules.get(rulesKey(auth.projectId, collection)) !== undefined;
  }

  /** True when both apply the same rules. */
  sameRules(other: CollectionAccess): boolean {
    return this.rulesText === other.rulesText;
  }

  /**
   * That the collection's rules are still the ones this access applies: a write guarded by it
   * aborts when they changed in the meantime, so a rule change applies to the next request even
   * when the rules came from {@link lastSeen}. Null for a secret key (no rules apply).
   */
  precondition(): Precondition | null {
    if (this.rulesText === null) return null;
    const { projectId, collection, rulesText } = this;
    return {
      read: (db) => selectSettings(db, projectId, collection),
      check: (result) => {
        const text = settingsRowOf(result)?.rules ?? NO_RULES;
        lastSeenRules.set(rulesKey(projectId, collection), text);
        if (text !== rulesText) throw new RulesChanged();
      },
      guard: (db) =>
        db
          .prepare(
            `INSERT INTO write_guards (reason) SELECT 'rules' WHERE coalesce(
               (SELECT rules FROM collection_settings WHERE project_id = ?1 AND collection = ?2), ?3) IS NOT ?4`,
          )
          .bind(projectId, collection, NO_RULES, rulesText),
    };
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

/** The rules changed since they were last seen: build again under the new ones. */
export class RulesChanged extends Error {
  constructor() {
    super("The collection's rules changed since they were last read.");
  }
}
