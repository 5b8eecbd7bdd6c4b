/**
 * The endpoint API's wire types (snake_case, as sent). The zod schemas that check them live in
 * ./wire-schemas.ts; the SDK imports only these types.
 */

/** Where an endpoint forwards: an upstream URL, or the project's tunnel of the same label. */
export type EndpointTarget = { kind: "url"; url: string } | { kind: "tunnel" };

/** Milliseconds the proxy waits: for the response headers, between body chunks, for everything. */
export interface EndpointTimeouts {
  first_byte_ms: number;
  idle_ms: number;
  total_ms: number;
}

/** Requests per minute, for the whole label and for each caller; `null` is no limit. */
export interface EndpointRateLimit {
  per_label: number | null;
  per_caller: number | null;
}

/**
 * Who may call besides the project's secret keys (which always may): public-key callers, user
 * tokens, and, when `rule` is set, only those for whom that rule over `auth` holds.
 */
export interface EndpointAccess {
  public_key: boolean;
  user_tokens: boolean;
  rule: string | null;
}

/** An endpoint as the management API returns it. Secret header values are never returned. */
export interface EndpointRecord {
  label: string;
  description: string | null;
  target: EndpointTarget;
  /** The names of the secret headers added upstream (their values are write-only). */
  header_names: string[];
  timeouts: EndpointTimeouts;
  /** The largest request body forwarded, in bytes. */
  max_body_bytes: number;
  rate_limit: EndpointRateLimit;
  access: EndpointAccess;
  created_at: string;
  updated_at: string;
}

/** `GET /v1/endpoints`: every endpoint of the project, by label. */
export interface EndpointList {
  items: EndpointRecord[];
  next_cursor: null;
}

/** `DELETE /v1/endpoints/:label`. */
export interface DeletedEndpoint {
  label: string;
  deleted: true;
}

/** The settable fields of an endpoint; on update every field is optional. */
export interface EndpointSettingsInput {
  description?: string | null;
  target?: EndpointTarget;
  /**
   * Secret headers added to every forwarded request. On create, the whole set; on update, merged
   * into the current set: a name with `null` removes that header.
   */
  headers?: Record<string, string | null>;
  timeouts?: Partial<EndpointTimeouts>;
  max_body_bytes?: number;
  rate_limit?: Partial<EndpointRateLimit>;
  access?: Partial<EndpointAccess>;
}

/** `POST /v1/endpoints` body. */
export interface EndpointInput extends EndpointSettingsInput {
  label: string;
  target: EndpointTarget;
}
