// The seam between the endpoint proxy (worker/endpoints/, worker/routes/proxy.ts) and the tunnel
// (durable-objects/tunnel/): the proxy hands a request that is already checked, stripped of the
// caller's credentials and given the endpoint's own headers, and streams back what comes. Until
// the tunnel lands every tunnel endpoint is offline.
import { ApiError } from "../../core/errors";

/** Where a tunnelled request goes: one tunnel object per project and label. */
export interface TunnelTarget {
  projectId: string;
  label: string;
}

export async function forwardToTunnel(_env: Env, target: TunnelTarget, _request: Request): Promise<Response> {
  throw new ApiError("not_configured", `No tunnel is connected for the endpoint "${target.label}".`);
}
