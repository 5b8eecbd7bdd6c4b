import { ApiError } from "../../core/errors";

/**
 * The SSRF guard of the endpoint proxy: which upstream URLs an endpoint may target.
 *
 * Always: an absolute `http:` or `https:` URL with a host, no credentials, no query or fragment
 * (the caller's path and query are appended to it). Deployed, also no address a public server
 * would not be: loopback, private, carrier-grade NAT, link-local (cloud metadata lives at
 * 169.254.169.254), unspecified, multicast, and names that only mean something inside a network
 * (`localhost`, `*.local`, `*.internal`, …). IP literals are checked after the URL parser has
 * normalized them (`http://2130706433/` is `127.0.0.1`), IPv4-mapped IPv6 included.
 *
 * Names are not resolved: a public name that resolves to a private address is not caught here.
 * A deployed Worker's `fetch` leaves from Cloudflare's network, where such addresses lead to no
 * one's private network.
 *
 * `allowPrivate` is the local-development switch (`ALLOW_PRIVATE_UPSTREAMS=true` in wrangler dev
 * and the tests), so a model server on `http://127.0.0.1:8188` can be an endpoint locally.
 */
export interface UpstreamPolicy {
  allowPrivate: boolean;
}

/** The policy of this deployment, from its environment. */
export function upstreamPolicy(env: { ALLOW_PRIVATE_UPSTREAMS?: string | undefined }): UpstreamPolicy {
  return { allowPrivate: env.ALLOW_PRIVATE_UPSTREAMS === "true" };
}

const LOCAL_NAMES = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /\.home\.arpa$/, /\.lan$/, /^[^.]+$/];

/** IPv4 ranges no public upstream has: [first octets as a number, prefix length]. */
const BLOCKED_V4: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

function v4ToNumber(address: string): number | null {
  const parts = address.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

function isBlockedV4(address: string): boolean {
  const value = v4ToNumber(address);
  if (value === null) return false;
  return BLOCKED_V4.some(([base, bits]) => {
    const size = 2 ** (32 - bits);
    const start = v4ToNumber(base) as number;
    return value >= start && value < start + size;
  });
}

/** `[::1]` → the blocked verdict of an IPv6 literal (as the URL parser writes it: compressed, lower case). */
function isBlockedV6(bracketed: string): boolean {
  const address = bracketed.slice(1, -1);
  if (address === "::" || address === "::1") return true;
  // IPv4-mapped (::ffff:a.b.c.d, written by the parser as ::ffff:xxxx:xxxx) and IPv4-compatible.
  const mapped = /^::(ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    const high = Number.parseInt(mapped[2] as string, 16);
    const low = Number.parseInt(mapped[3] as string, 16);
    return isBlockedV4(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  const first = Number.parseInt(address.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7 (fd00:ec2::254 is AWS metadata)
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    first === 0x64 // 64:ff9b::/96 NAT64 maps IPv4 addresses, private ones included
  );
}

/** True when `hostname` (as `URL.hostname` gives it) is not a public upstream. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[")) return isBlockedV6(host);
  if (v4ToNumber(host) !== null) return isBlockedV4(host);
  return LOCAL_NAMES.some((pattern) => pattern.test(host));
}

/**
 * Checks an upstream URL against the policy and returns it normalized (no trailing slash, so the
 * caller's path can be appended).
 *
 * @throws {ApiError} `invalid_request` naming what is wrong, with `details.reason`.
 */
export function checkUpstreamUrl(text: string, policy: UpstreamPolicy): string {
  const refuse = (reason: string, message: string) =>
    new ApiError("invalid_request", `The upstream URL ${JSON.stringify(text)} is refused: ${message}`, {
      reason,
    });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse("not_a_url", "it is not an absolute URL (e.g. https://gpu.example.com:8188).");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw refuse("scheme", "only http:// and https:// upstreams are allowed.");
  }
  if (url.username || url.password) {
    throw refuse("credentials", "credentials go in secret headers (`headers`), not in the URL.");
  }
  if (url.search || url.hash || text.includes("?") || text.includes("#")) {
    throw refuse("query", "it may not have a query or fragment (the caller's are forwarded).");
  }
  if (!policy.allowPrivate && isPrivateHost(url.hostname)) {
    throw refuse(
      "private_address",
      "it names a loopback, private, link-local or local-network host. Deployed endpoints must be public; " +
        "for local development set ALLOW_PRIVATE_UPSTREAMS=true (wrangler dev --var ALLOW_PRIVATE_UPSTREAMS:true), " +
        "or reach a machine at home through a tunnel endpoint.",
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}
