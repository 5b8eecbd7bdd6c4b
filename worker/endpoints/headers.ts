/**
 * Which headers cross the proxy. The caller's credentials and the hop-by-hop headers (RFC 9110
 * §7.6.1: they describe one connection, not the message) never go upstream; the proxy sets the
 * `X-Forwarded-*` headers itself, so a caller cannot forge them.
 */

/** Hop-by-hop: dropped in both directions, with any header the `Connection` header names. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** Never forwarded upstream: who the caller is to Flarebase, and what the platform or the proxy sets. */
const REQUEST_ONLY_HERE = [
  ...HOP_BY_HOP,
  "authorization",
  "x-api-key",
  "cookie",
  "host",
  "content-length", // the runtime sets it from the body it streams
  "accept-encoding", // replaced by identity: see upstreamRequestHeaders
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-prefix",
  "x-real-ip",
];

/** Never passed back to the caller: the proxy's own CORS and request id decide those. */
const RESPONSE_ONLY_THERE = [...HOP_BY_HOP, "set-cookie", "x-request-id"];

/** Header names a secret header may not have: the proxy sets or strips them itself. */
export const RESERVED_SECRET_HEADERS = new Set([...REQUEST_ONLY_HERE.filter((name) => name !== "authorization")]);

/** RFC 9110 token characters. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

function connectionListed(headers: Headers): Set<string> {
  return new Set(
    (headers.get("connection") ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

function isPlatformHeader(name: string): boolean {
  // cf-connecting-ip, cf-ray, cf-ipcountry, cf-visitor, …: Cloudflare's, not the caller's message.
  return name.startsWith("cf-");
}

/** What one call sends upstream besides the caller's own headers. */
export interface ForwardedFor {
  /** The caller's address (CF-Connecting-IP), if known. */
  clientIp: string | null;
  /** The proxy's own URL, for X-Forwarded-Host and -Proto. */
  proxyUrl: URL;
  /** The path the caller used up to the label, e.g. `/v1/proxy/comfy`. */
  prefix: string;
  /** The endpoint's secret headers (they win over the caller's of the same name). */
  secretHeaders: Record<string, string>;
}

/** The headers of the upstream request. */
export function upstreamRequestHeaders(incoming: Headers, forwarded: ForwardedFor): Headers {
  const dropped = connectionListed(incoming);
  const headers = new Headers();
  for (const [name, value] of incoming) {
    if (REQUEST_ONLY_HERE.includes(name) || dropped.has(name) || isPlatformHeader(name)) continue;
    headers.append(name, value);
  }
  for (const [name, value] of Object.entries(forwarded.secretHeaders)) headers.set(name, value);
  // Uncompressed from the upstream: a compressing upstream may hold back an event stream to fill
  // its compression window, and the runtime would decode and re-encode every byte anyway.
  // Cloudflare compresses toward the caller.
  headers.set("accept-encoding", "identity");
  if (forwarded.clientIp) headers.set("x-forwarded-for", forwarded.clientIp);
  headers.set("x-forwarded-host", forwarded.proxyUrl.host);
  headers.set("x-forwarded-proto", forwarded.proxyUrl.protocol.replace(":", ""));
  headers.set("x-forwarded-prefix", forwarded.prefix);
  return headers;
}

/** The headers of the response to the caller. */
export function callerResponseHeaders(upstream: Headers): Headers {
  const dropped = connectionListed(upstream);
  const headers = new Headers();
  for (const [name, value] of upstream) {
    if (RESPONSE_ONLY_THERE.includes(name) || dropped.has(name) || name.startsWith("access-control-")) continue;
    headers.append(name, value);
  }
  return headers;
}
