import type { AccountUser, SessionTokens } from "../../core/rest/accounts.js";
import type { ClientCore } from "../client.js";
import { FlarebaseError } from "../errors.js";
import { request, type Transport } from "../http.js";
import { Emitter, type Listener, type Unsubscribe } from "../realtime/emitter.js";
import { withRefreshLock } from "./refresh-lock.js";
import type { TokenStorage } from "./token-storage.js";

/** What a change of the signed-in state was. */
export type AuthChangeType = "signed_in" | "signed_out" | "token_refreshed" | "user_updated";

/** An `onAuthStateChange` event: what happened, and the user now (null when signed out). */
export interface AuthChange {
  type: AuthChangeType;
  user: AccountUser | null;
}

/** A session as stored: the tokens, when the access token expires (epoch ms), the user. */
interface StoredSession {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  user: AccountUser;
}

/**
 * Refresh this long before the access token expires (or at a fifth of its life, if shorter), so
 * a request or a socket never starts with a token about to lapse.
 */
const REFRESH_MARGIN_MS = 60_000;
/** After a refresh that failed for want of a network, try again this much later. */
const RETRY_AFTER_FAILURE_MS = 10_000;

/** Codes that mean the session is over for good (sign in again), not "try later". */
const SESSION_OVER = new Set(["invalid_refresh_token", "user_disabled", "unauthorized"]);

function parseStored(text: string | null): StoredSession | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<StoredSession>;
    if (
      typeof value.access_token === "string" &&
      typeof value.refresh_token === "string" &&
      typeof value.expires_at === "number" &&
      typeof value.user === "object" &&
      value.user !== null
    ) {
      return value as StoredSession;
    }
  } catch {
    // Not ours, or damaged: as if there were none.
  }
  return null;
}

/**
 * The signed-in session of one client: keeps it in storage, hands out a fresh access token
 * (refreshing before expiry, once across tabs), and tells the client, and so every realtime
 * socket, when the token changes. The hooks other sign-in methods (OpenID Connect) use are
 * {@link AuthSession.accept} and {@link AuthSession.userTransport}.
 */
export class AuthSession {
  #state: StoredSession | null = null;
  #refreshing: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #changes = new Emitter<AuthChange>();
  readonly #ready: Promise<void>;
  readonly #storageKey: string;

  /** Requests with the project key only: sign-in, refresh, sign-out (never the access token). */
  readonly keyTransport: Transport;
  /** Requests as the signed-in user (its access token, refreshed when due). */
  readonly userTransport: Transport;

  constructor(
    private readonly core: ClientCore,
    private readonly storage: TokenStorage,
    storageKey: string,
  ) {
    this.#storageKey = storageKey;
    const key = core.key;
    this.keyTransport = {
      url: core.url,
      fetch: core.fetch,
      timeoutMs: core.timeoutMs,
      authHeaders: async () => {
        if (!key) {
          throw new FlarebaseError({
            status: 0,
            code: "token_error",
            message: "Accounts need the project's key: createClient({ url, key: 'pk_…' }).",
            url: core.url,
          });
        }
        return { "X-API-Key": key };
      },
    };
    this.userTransport = {
      url: core.url,
      fetch: core.fetch,
      timeoutMs: core.timeoutMs,
      authHeaders: async () => {
        const token = await this.accessToken();
        if (!token) {
          throw new FlarebaseError({
            status: 401,
            code: "unauthorized",
            message: "No user is signed in.",
            url: core.url,
          });
        }
        return { Authorization: `Bearer ${token}` };
      },
    };
    this.#ready = this.#restore();
    this.#listenToOtherTabs();
  }

  /** Resolves once the stored session (if any) has been read. */
  ready(): Promise<void> {
    return this.#ready;
  }

  get user(): AccountUser | null {
    return this.#state?.user ?? null;
  }

  onChange(listener: Listener<AuthChange>): Unsubscribe {
    return this.#changes.on(listener);
  }

  /**
   * Takes a sign-in answer (any method: password, guest, reset, OpenID Connect): stores it,
   * makes the client send its access token, and schedules its refresh.
   */
  async accept(answer: SessionTokens, type: AuthChangeType = "signed_in"): Promise<AccountUser> {
    await this.#ready;
    await this.#set(
      {
        access_token: answer.access_token,
        refresh_token: answer.refresh_token,
        expires_at: Date.now() + answer.expires_in * 1000,
        user: answer.user,
      },
      type,
    );
    return answer.user;
  }

  /** Replaces the stored user (after a profile change or linking), keeping the tokens. */
  async updateUser(user: AccountUser): Promise<AccountUser> {
    if (this.#state) await this.#set({ ...this.#state, user }, "user_updated");
    return user;
  }

  /** The access token, refreshed first when it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    await this.#ready;
    const state = this.#state;
    if (!state) return null;
    if (state.expires_at - Date.now() > this.#margin(state)) return state.access_token;
    try {
      await this.refresh();
    } catch {
      // A network failure keeps the old token (the server will say if it is too old); a
      // session that is over has signed out, and there is no token.
    }
    return this.#state?.access_token ?? null;
  }

  /**
   * Refreshes now: one refresh at a time per client, and across tabs the ones that waited take
   * the session another tab just refreshed.
   *
   * @throws {FlarebaseError} `invalid_refresh_token` (the session ended: now signed out), or a
   * network error (still signed in; retried later).
   */
  refresh(): Promise<void> {
    this.#refreshing ??= withRefreshLock(`flarebase-refresh:${this.#storageKey}`, () =>
      this.#refreshHoldingLock(),
    ).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** Forgets the session here (the server's sign-out is the caller's). */
  async clear(): Promise<void> {
    await this.#ready;
    if (!this.#state) return;
    await this.#set(null, "signed_out");
  }

  /** The refresh token, for signing out. */
  get refreshToken(): string | null {
    return this.#state?.refresh_token ?? null;
  }

  async #refreshHoldingLock(): Promise<void> {
    await this.#ready;
    const mine = this.#state;
    if (!mine) {
      throw new FlarebaseError({
        status: 401,
        code: "unauthorized",
        message: "No user is signed in.",
        url: this.core.url,
      });
    }
    // Another tab may have refreshed while this one waited for the lock: take its session.
    const shared = parseStored(await this.storage.getItem(this.#storageKey));
    if (shared && shared.refresh_token !== mine.refresh_token && shared.expires_at > mine.expires_at) {
      await this.#set(shared, "token_refreshed", false);
      return;
    }
    try {
      const answer = await request<SessionTokens>(this.keyTransport, "POST", "/v1/auth/refresh", {
        body: { refresh_token: mine.refresh_token },
      });
      await this.accept(answer, "token_refreshed");
    } catch (error) {
      if (error instanceof FlarebaseError && SESSION_OVER.has(error.code)) {
        await this.#set(null, "signed_out");
      } else {
        this.#schedule(RETRY_AFTER_FAILURE_MS);
      }
      throw error;
    }
  }

  async #restore(): Promise<void> {
    const stored = parseStored(await this.storage.getItem(this.#storageKey));
    if (stored) this.#apply(stored, "signed_in");
  }

  async #set(next: StoredSession | null, type: AuthChangeType, persist = true): Promise<void> {
    if (persist) {
      if (next) await this.storage.setItem(this.#storageKey, JSON.stringify(next));
      else await this.storage.removeItem(this.#storageKey);
    }
    this.#apply(next, type);
  }

  /** Takes `next` as the session: the client's token, the refresh timer, the listeners. */
  #apply(next: StoredSession | null, type: AuthChangeType): void {
    const tokenChanged = next?.access_token !== this.#state?.access_token;
    this.#state = next;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (next) this.#schedule(next.expires_at - Date.now() - this.#margin(next));
    // setToken tells every realtime socket to reconnect with the new token (each resumes where
    // it was, so no subscription loses a message).
    if (tokenChanged) this.core.setToken(next ? () => this.accessToken() : null);
    this.#changes.emit({ type, user: next?.user ?? null });
  }

  #margin(state: StoredSession): number {
    const lifetime = state.expires_at - Date.now();
    return Math.min(REFRESH_MARGIN_MS, Math.max(0, lifetime / 5));
  }

  #schedule(delayMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.refresh().catch(() => {});
      },
      Math.max(0, delayMs),
    );
    // In Node, a pending refresh must not keep the process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** In browsers, another tab's sign-in, refresh or sign-out reaches this tab through storage. */
  #listenToOtherTabs(): void {
    const target = globalThis as { addEventListener?: (type: string, listener: (event: StorageEvent) => void) => void };
    if (typeof target.addEventListener !== "function" || typeof StorageEvent === "undefined") return;
    target.addEventListener("storage", (event) => {
      if (event.key !== this.#storageKey) return;
      const next = parseStored(event.newValue);
      const type: AuthChangeType = next ? (this.#state ? "token_refreshed" : "signed_in") : "signed_out";
      this.#apply(next, type);
    });
  }
}
