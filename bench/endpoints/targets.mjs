/**
 * The paths a benchmark request can take to the same upstream, each a `{ name, url(path),
 * headers }`: what the measurements in ./measure.mjs call. One function per path, so another path
 * (the tunnel: the CLI on this machine, connected to the local Worker) is one more function here
 * and one more entry in ./index.mjs.
 */

/** Straight to the upstream: the baseline. */
export function directTarget(upstreamUrl) {
  return { name: "direct", url: (path) => `${upstreamUrl}${path}`, headers: {} };
}

/**
 * Registers `label` for the upstream URL with the project's secret key and returns the path
 * through the proxy, called with the public key like a browser would.
 */
export async function proxyTarget(server, label, upstreamUrl) {
  const response = await fetch(`${server.url}/v1/endpoints`, {
    method: "POST",
    headers: { "X-API-Key": server.project.keys.secret, "Content-Type": "application/json" },
    body: JSON.stringify({ label, target: { kind: "url", url: upstreamUrl }, max_body_bytes: 100 * 1024 * 1024 }),
  });
  if (response.status !== 201) throw new Error(`registering the endpoint: ${response.status} ${await response.text()}`);
  return {
    name: "proxy",
    url: (path) => `${server.url}/v1/proxy/${label}${path}`,
    headers: { "X-API-Key": server.project.keys.public },
  };
}
