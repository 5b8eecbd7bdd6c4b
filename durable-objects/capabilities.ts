import { z } from "zod";
import { CAPABILITY_OPS, type CapabilityOp } from "./protocol";

/**
 * Capabilities: who may subscribe to, publish on, enter presence on, or read the history of which
 * channels. A capability map is `{ "<channel pattern>": ["<op>", …] }`, where a pattern is an exact
 * name, a prefix ending in `*` (`chat:*`), or `*` for every channel, and `"*"` as an op means all
 * of them. The ops of every matching pattern add up.
 *
 * Where a connection's map comes from:
 * - a secret key: everything;
 * - a user token whose claims carry `channels` (a capability map): exactly that map;
 * - a public key, or a token without `channels`: {@link PUBLIC_DEFAULT_CAPABILITIES}.
 */
export type CapabilityMap = Record<string, readonly (CapabilityOp | "*")[]>;

/**
 * What public keys (and tokens without a `channels` claim) may do on every project: everything on
 * every channel, like a database in test mode. A project that needs less issues tokens with a
 * `channels` claim to its users and keeps its public key for reading documents.
 */
export const PUBLIC_DEFAULT_CAPABILITIES: CapabilityMap = { "*": ["subscribe", "publish", "presence", "history"] };

/** One bit per op, so a connection's rights fit in one small number in its attachment. */
export const OP_BITS: Record<CapabilityOp, number> = { subscribe: 1, publish: 2, presence: 4, history: 8 };
export const ALL_OPS = 15;

/** The shape a `channels` claim must have; anything else is ignored as "no capability claim". */
export const CapabilityClaim = z.record(z.string().min(1).max(256), z.array(z.enum([...CAPABILITY_OPS, "*"])).max(8));

/** Does `pattern` cover `channel`? `*` covers all, `a:*` covers every name starting with `a:`. */
export function patternMatches(pattern: string, channel: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return channel.startsWith(pattern.slice(0, -1));
  return pattern === channel;
}

/** The op bits `map` grants on `channel`. */
export function opsFor(map: CapabilityMap, channel: string): number {
  let bits = 0;
  for (const [pattern, ops] of Object.entries(map)) {
    if (!patternMatches(pattern, channel)) continue;
    for (const op of ops) bits |= op === "*" ? ALL_OPS : OP_BITS[op];
  }
  return bits;
}

/** The capability map for an authenticated caller (see {@link CapabilityMap} for the rules). */
export function capabilitiesOf(auth: { kind: "public" | "secret" | "user"; claims: Record<string, unknown> }) {
  if (auth.kind === "secret") return { "*": ["*"] } satisfies CapabilityMap;
  if (auth.kind === "user" && auth.claims.channels !== undefined) {
    const parsed = CapabilityClaim.safeParse(auth.claims.channels);
    // A malformed claim grants nothing rather than falling back to the (wider) public default.
    return parsed.success ? parsed.data : {};
  }
  return PUBLIC_DEFAULT_CAPABILITIES;
}

/** The op names set in `bits`, in protocol order (for the hello frame). */
export function opNames(bits: number): CapabilityOp[] {
  return CAPABILITY_OPS.filter((op) => (bits & OP_BITS[op]) !== 0);
}
