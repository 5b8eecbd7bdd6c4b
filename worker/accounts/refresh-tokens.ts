/**
 * Refresh tokens: `frt_<session id>_<generation>_<mac>`, where the MAC is HMAC-SHA-256 under
 * the deployment's pepper of the project, the session id, the generation and the session's
 * random salt. Nothing of a token is stored: the session row keeps its salt and current
 * generation, which is enough to recognize every token the session ever issued, current,
 * previous or older, without a row per token, while a copy of D1 without the pepper can produce
 * none.
 *
 * @module
 */
import { constantTimeEqual } from "../../core/random";
import { base64url, pepperMac } from "./pepper";

const TOKEN_PATTERN = /^frt_([0-9A-Za-z]{20})_(\d{1,9})_([A-Za-z0-9_-]{43})$/;

export interface ParsedRefreshToken {
  sessionId: string;
  generation: number;
  mac: string;
}

/** The parts of a presented token, or null when it is not shaped like one. */
export function parseRefreshToken(token: string): ParsedRefreshToken | null {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return null;
  return { sessionId: match[1] as string, generation: Number(match[2]), mac: match[3] as string };
}

interface TokenSession {
  project_id: string;
  id: string;
  salt: string;
}

async function macOf(pepper: string, session: TokenSession, generation: number): Promise<string> {
  return base64url(
    await pepperMac(pepper, "refresh", `${session.project_id}:${session.id}:${generation}:${session.salt}`),
  );
}

/** The refresh token of a session at a generation. */
export async function refreshTokenFor(pepper: string, session: TokenSession, generation: number): Promise<string> {
  return `frt_${session.id}_${generation}_${await macOf(pepper, session, generation)}`;
}

/** Whether a parsed token was issued for this session (its MAC checks, in constant time). */
export async function isAuthentic(pepper: string, session: TokenSession, token: ParsedRefreshToken): Promise<boolean> {
  return constantTimeEqual(await macOf(pepper, session, token.generation), token.mac);
}
