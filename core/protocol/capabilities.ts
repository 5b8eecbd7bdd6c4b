import { z } from "zod";
import { CAPABILITY_OPS, type CapabilityOp } from "./channel.js";
import { BROADCAST_CHANNEL } from "./identifiers.js";

/**
 * Capabilities: who may subscribe to, publish on, enter presence on, or read the history of which
 * channels. A capability map is `{ "<channel pattern>": ["<op>", …] }`, where a pattern is an exact
 * name, a prefix ending in `*` (`chat:*`), or `*` for every channel, and `"*"` as an op means all
 * of them. The ops of every matching pattern add up.
 *
 * Where a connection's map comes from:
 * - a secret key: everything;
 * - a user token whose claims carry `channels` (a capability map): exactly that map;
 * - a public key, or a token without `channels`: the project's `channel_capabilities` when it set
 *   one, else {@link PUBLIC_DEFAULT_CAPABILITIES}.
 *
 * Whatever the map says, every caller may subscribe to the project broadcast channel and read its
 * history: it is how the project reaches every client. Publishing on it follows the map.
 */
export type CapabilityMap = Record<string, readonly (CapabilityOp | "*")[]>;

/**
 * What public keys (and tokens without a `channels` claim) may do on a project that did not set
 * its own `channel_capabilities`: everything on every channel, like a database in test mode. A
 * project that needs less sets `channel_capabilities` (admin API) or issues tokens with a
 * `channels` claim.
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

type Caller = { kind: "public" | "secret" | "user"; claims: Record<string, unknown> };

/** Does this caller's map come from its project's default (rather than from its key or token)? */
export function usesProjectDefault(auth: Caller): boolean {
  return auth.kind === "public" || (auth.kind === "user" && auth.claims.channels === undefined);
}

/**
 * The capability map for an authenticated caller (see {@link CapabilityMap} for the rules);
 * `projectDefault` is the project's `channel_capabilities` (null when it has none).
 */
export function capabilitiesOf(auth: Caller, projectDefault: CapabilityMap | null = null): CapabilityMap {
  if (auth.kind === "secret") return { "*": ["*"] } satisfies CapabilityMap;
  if (!usesProjectDefault(auth)) {
    const parsed = CapabilityClaim.safeParse(auth.claims.channels);
    // A malformed claim grants nothing rather than falling back to the (wider) public default.
    return parsed.success ? parsed.data : {};
  }
  return projectDefault ?? PUBLIC_DEFAULT_CAPABILITIES;
}

/** The op bits `map` grants on `channel`, plus what everyone has on the broadcast channel. */
export function channelOps(map: CapabilityMap, channel: string): number {
  const bits = opsFor(map, channel);
  return channel === BROADCAST_CHANNEL ? bits | OP_BITS.subscribe | OP_BITS.history : bits;
}

/** The op names set in `bits`, in protocol order (for the hello frame). */
export function opNames(bits: number): CapabilityOp[] {
  return CAPABILITY_OPS.filter((op) => (bits & OP_BITS[op]) !== 0);
}
