/**
 * The sign-ins this browser started and has not finished: what `handleOidcCallback` needs when
 * the provider sends the browser back (the provider's name and the PKCE verifier), by state.
 * In `sessionStorage` where there is one (it survives the trip to the provider and back, and is
 * this tab's alone); in memory otherwise (Node, tests, a page that forbids storage).
 */

/** One sign-in in flight, as `start` answered it. */
export interface PendingOidcFlow {
  /** The server's base URL: a callback is finished where it was started. */
  server: string;
  provider: string;
  codeVerifier: string;
  /** ISO-8601: after this the server refuses the callback anyway. */
  expiresAt: string;
}

const PREFIX = "flarebase:oidc:";
const memory = new Map<string, string>();

interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function store(): KeyValueStore {
  try {
    const session = (globalThis as { sessionStorage?: KeyValueStore }).sessionStorage;
    if (session) return session;
  } catch {
    // Reading sessionStorage throws where the page may not use storage (sandboxed frames).
  }
  return {
    getItem: (key) => memory.get(key) ?? null,
    setItem: (key, value) => void memory.set(key, value),
    removeItem: (key) => void memory.delete(key),
  };
}

export function savePendingFlow(state: string, flow: PendingOidcFlow): void {
  store().setItem(PREFIX + state, JSON.stringify(flow));
}

/** The flow started with `state`, removed from the store (a state is good for one callback). */
export function takePendingFlow(state: string): PendingOidcFlow | null {
  const storage = store();
  const text = storage.getItem(PREFIX + state);
  if (text === null) return null;
  storage.removeItem(PREFIX + state);
  try {
    const flow = JSON.parse(text) as Partial<PendingOidcFlow>;
    if (typeof flow.server !== "string" || typeof flow.provider !== "string" || typeof flow.codeVerifier !== "string") {
      return null;
    }
    return flow as PendingOidcFlow;
  } catch {
    return null;
  }
}
