/**
 * Application close codes (4000–4999) realtime objects close sockets with, each with the reaction
 * a client should have. Every close is preceded by an `error` frame saying why (except a normal
 * 1000), so browsers, which cannot read an HTTP status on a failed upgrade, still learn the cause.
 *
 * The SDK imports this table as it is (plain numbers, no zod), so its reactions to each close
 * (sdk/realtime/policy.ts) always follow these numbers.
 */
export const CLOSE_CODES = {
  /** Clean close by either side. */
  normal: 1000,
  /** A connect parameter (client_id, since_seq, epoch) is malformed. Fix the client; do not retry. */
  bad_request: 4000,
  /** Bad or missing credentials. Do not retry with the same credentials. */
  unauthorized: 4001,
  /** The token expired (at connect or during the session). Get a fresh token, then reconnect. */
  token_expired: 4002,
  /** Authenticated but not allowed (capability, origin, a secret key from a browser). Do not retry. */
  forbidden: 4003,
  /** The channel name (or watched collection, or room id) is not valid. Do not retry. */
  invalid_channel: 4004,
  /** The channel is at its connection limit. Retry later with backoff. */
  too_many_connections: 4005,
  /** The client speaks a protocol version this server does not. Do not retry. */
  unsupported_version: 4006,
  /** The connection was silent past its heartbeat deadline and was reaped. Reconnect and resume. */
  heartbeat_timeout: 4008,
  /** The server is going away (restart, channel reset). Reconnect and resume. */
  going_away: 4010,
  /** Something failed on the server. Reconnect with backoff. */
  internal: 4011,
  /** `join` of a room that does not exist (never created, or deleted after its retention). Do not retry. */
  room_not_found: 4012,
  /** The room has as many participants as it allows. Do not retry on your own; let the user try again. */
  room_full: 4013,
  /** The room was closed by its owner (or is closed). Do not retry. */
  room_closed: 4014,
  /** The room's owner removed this participant. Do not retry. */
  removed_from_room: 4015,
  /** (tunnels) Another `flarebase tunnel` connected for the same label and took over. Do not reconnect. */
  tunnel_replaced: 4016,
} as const;

export type CloseCodes = typeof CLOSE_CODES;
export type CloseCodeName = keyof CloseCodes;
export type CloseCode = CloseCodes[CloseCodeName];

/**
 * Codes the runtime synthesizes when no Close frame arrived (1005 no status, 1006 abnormal drop,
 * 1015 TLS failure). There is no peer left to answer, so we never reciprocate them.
 */
export function isReservedCloseCode(code: number): boolean {
  return code === 1005 || code === 1006 || code === 1015;
}
