import { capabilitiesOf, channelOps, usesProjectDefault } from "../../durable-objects/capabilities";
import { getChannelCapabilities } from "../projects/project-store";
import type { AuthContext } from "./auth-context";

/**
 * The capability bits (see durable-objects/capabilities.ts) a caller holds on one channel of its
 * project. The project's own default is read only for the callers it applies to (public keys and
 * tokens without a `channels` claim), so secret keys and scoped tokens cost no extra query.
 */
export async function channelOpsOf(db: D1Database, auth: AuthContext, channel: string): Promise<number> {
  const projectDefault = usesProjectDefault(auth) ? await getChannelCapabilities(db, auth.projectId) : null;
  return channelOps(capabilitiesOf(auth, projectDefault), channel);
}
