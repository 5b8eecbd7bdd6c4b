import type { MatchedPageMeta } from "../../../data/page-meta/match";

/** How long an isolate trusts a cached match it did not see change. */
export const MATCH_CACHE_TTL_MS = 30_000;
/** Most paths cached per isolate (least recently used go first). */
const MAX_ENTRIES = 2000;

interface Entry {
  match: MatchedPageMeta | null;
  expires: number;
  generation: number;
}

/**
 * Which record applies to which path, per isolate, so most HTML requests make no meta query at
 * all. Staleness: a write through the API drops its site's entries in the isolate that ran it at
 * once (a per-site generation); other isolates see it when their entry expires, within
 * {@link MATCH_CACHE_TTL_MS}. Only the match is cached, never a document's values: those are read
 * per request (data/page-meta/document-values.ts), so a hidden or edited document shows at once.
 */
export class PageMetaMatchCache {
  readonly #entries = new Map<string, Entry>();
  readonly #generations = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached match, `undefined` on a miss (null is a cached "no record applies"). */
  get(projectId: string, site: string, path: string): MatchedPageMeta | null | undefined {
    const key = entryKey(projectId, site, path);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= this.now() || entry.generation !== this.#generation(projectId, site)) return undefined;
    this.#entries.set(key, entry); // most recently used last
    return entry.match;
  }

  /**
   * Stores a match read at `generation` (taken before the read: a write that lands during it
   * makes the entry stale at once).
   */
  set(projectId: string, site: string, path: string, match: MatchedPageMeta | null, generation: number): void {
    if (generation !== this.#generation(projectId, site)) return;
    const key = entryKey(projectId, site, path);
    this.#entries.delete(key);
    this.#entries.set(key, { match, expires: this.now() + MATCH_CACHE_TTL_MS, generation });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** The site's current generation, to pass to {@link set} after a read. */
  generation(projectId: string, site: string): number {
    return this.#generation(projectId, site);
  }

  /** Forgets every cached match of a site: its records just changed here. */
  forgetSite(projectId: string, site: string): void {
    const key = siteKey(projectId, site);
    this.#generations.set(key, (this.#generations.get(key) ?? 0) + 1);
  }

  #generation(projectId: string, site: string): number {
    return this.#generations.get(siteKey(projectId, site)) ?? 0;
  }
}

const siteKey = (projectId: string, site: string) => `${projectId}\n${site}`;
const entryKey = (projectId: string, site: string, path: string) => `${projectId}\n${site}\n${path}`;

/** The isolate's cache, shared by the site server and the page-meta routes (which invalidate it). */
export const pageMetaMatches = new PageMetaMatchCache();
