import { ApiError } from "../../core/errors";

/**
 * Refuses a tunnel for a label the project has not registered as a tunnel endpoint (the proxy
 * only sends a label's requests to its tunnel when the endpoint says so, so a CLI serving any
 * other label would wait for nothing).
 */
export async function requireTunnelEndpoint(db: D1Database, projectId: string, label: string): Promise<void> {
  const row = await db
    .prepare("SELECT target_kind FROM endpoints WHERE project_id = ? AND label = ?")
    .bind(projectId, label)
    .first<{ target_kind: string }>();
  if (row?.target_kind === "tunnel") return;
  throw new ApiError(
    "not_found",
    row
      ? `The endpoint "${label}" forwards to a URL, not a tunnel: register it with a tunnel target to serve it from here.`
      : `No endpoint "${label}" in this project: register it with a tunnel target first (docs/endpoints.md).`,
  );
}
