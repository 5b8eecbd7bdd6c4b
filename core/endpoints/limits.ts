/**
 * The endpoint proxy's names, defaults and bounds, shared by the routes that check them and the
 * docs that quote them (docs/endpoints.md).
 */

/** 1-63 lowercase letters, digits, `-` or `_`, starting with a letter or digit: safe in a URL path. */
export const ENDPOINT_LABEL = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** What a new endpoint gets for a setting left out. */
export const ENDPOINT_DEFAULTS = {
  /** Long enough for a model server that answers after the work (not streaming). */
  first_byte_ms: 100_000,
  idle_ms: 60_000,
  total_ms: 600_000,
  max_body_bytes: 10 * 1024 * 1024,
} as const;

/** The bounds of each setting. */
export const ENDPOINT_BOUNDS = {
  timeout_ms: { min: 100, max: 3_600_000 },
  /** Cloudflare's request body limit on the Enterprise plan (100 MB on Free and Pro). */
  max_body_bytes: { min: 0, max: 500 * 1024 * 1024 },
  requests_per_minute: { min: 1, max: 1_000_000 },
  /** Secret headers per endpoint, and the length of each value. */
  headers: 32,
  header_value_chars: 8192,
  description_chars: 500,
} as const;
