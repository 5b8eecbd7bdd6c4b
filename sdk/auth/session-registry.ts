/**
 * Where a sign-in from outside the accounts module (OpenID Connect's `handleOidcCallback` on
 * `client.auth`) finds the client's session: `accounts(client)` registers it. Kept apart from
 * session.ts so that `client.auth` can reach it without pulling the accounts code into every
 * bundle.
 *
 * @module
 */
import type { SessionTokens } from "../../core/rest/accounts.js";
import type { ClientCore } from "../client.js";

type Adopt = (answer: SessionTokens) => Promise<unknown>;

const sessions = new WeakMap<ClientCore, Adopt>();

/** Called by `accounts(client)`: sign-ins of this client go to its session. */
export function registerSession(core: ClientCore, adopt: Adopt): void {
  sessions.set(core, adopt);
}

/**
 * Makes a sign-in answer the client's: through its accounts session (stored, refreshed, seen by
 * `onAuthStateChange`) when `accounts(client)` was called, else as a plain token until it expires.
 */
export async function adoptSession(core: ClientCore, answer: SessionTokens): Promise<void> {
  const adopt = sessions.get(core);
  if (adopt) await adopt(answer);
  else core.setToken(answer.access_token);
}
