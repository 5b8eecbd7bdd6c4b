import { capabilitiesOf, channelOps, usesProjectDefault } from "../../core/protocol/capabilities";
import type { AuthContext } from "./auth-context";

/**
 * The capability bits (see durable-objects/capabilities.ts) a caller holds on one channel of its
 * project. The project's own default applies to public keys and tokens without a `channels`
 * claim; it came with the credentials (see {@link AuthContext}).
 */
export function channelOpsOf(auth: AuthContext, channel: string): number {
  return channelOps(capabilitiesOf(auth, usesProjectDefault(auth) ? auth.channelCapabilities : null), channel);
}
