// How the Worker reaches a tunnel object, in one place for both sides of that seam.

/** One tunnel object per project and label. */
export function tunnelObjectName(projectId: string, label: string): string {
  return `${projectId}/${label}`;
}

/** The object's URL for a CLI's WebSocket (the Worker authenticated it and checked the label). */
export const CONNECT_URL = "https://tunnel.internal/connect";

/** The object's URL for a proxied request: the path and query are what the local server sees. */
export function requestUrl(pathAndQuery: string): string {
  return `https://tunnel.internal/request${pathAndQuery}`;
}

/** The prefix {@link requestUrl} puts before the forwarded path. */
export const REQUEST_PREFIX = "/request";

/**
 * Marks the object's own typed errors (offline, dropped, refused), so the Worker tells them from
 * a local server's answer that happens to be an error with a JSON body.
 */
export const TUNNEL_ERROR_HEADER = "X-Flarebase-Tunnel-Error";

/** The tunnel object of a project's label. */
export function tunnelStub(env: Env, projectId: string, label: string) {
  return env.TUNNELS.getByName(tunnelObjectName(projectId, label));
}
