import { ApiError } from "../../core/errors";
import { getEndpoint } from "../../data/endpoints/endpoints";

/**
 * Refuses a tunnel for a label the project has not registered as a tunnel endpoint: the proxy
 * sends a label's requests to its tunnel only when the endpoint says so, so a CLI serving any
 * other label would wait for nothing.
 */
export async function requireTunnelEndpoint(db: D1Database, projectId: string, label: string): Promise<void> {
  const endpoint = await getEndpoint(db, projectId, label);
  if (endpoint?.target.kind === "tunnel") return;
  throw new ApiError(
    "endpoint_not_found",
    endpoint
      ? `The endpoint "${label}" forwards to a URL, not a tunnel: set its target to { "kind": "tunnel" } to serve it from here.`
      : `No endpoint "${label}" in this project: register it with the target { "kind": "tunnel" } first (docs/endpoints.md).`,
  );
}
