/**
 * The realtime envelope's constants: version, subprotocols and the heartbeat. Plain values with
 * no zod, so the SDK runs them as they are. Everyone imports them from here, the frame schemas
 * included.
 *
 * @module
 */

/** The envelope version this server speaks. A frame with another `v` gets `unsupported_version`. */
export const PROTOCOL_VERSION = 1;

/**
 * How every serialized frame starts: the envelope's version, then the `type` (a JSON string).
 * Frames built by concatenation start with it, so the version is written in one place.
 */
export const FRAME_PREFIX = `{"v":${PROTOCOL_VERSION},"type":`;

/**
 * The WebSocket subprotocol a client offers (and the server echoes) to say it speaks this
 * protocol. Browsers cannot set headers on a WebSocket, so credentials can travel as a second
 * offered subprotocol: `flarebase.key.<pk_…>` or `flarebase.token.<jwt>`; the server never echoes those.
 */
export const SUBPROTOCOL = "flarebase.v1";
export const SUBPROTOCOL_KEY_PREFIX = "flarebase.key.";
export const SUBPROTOCOL_TOKEN_PREFIX = "flarebase.token.";

/**
 * The heartbeat. The server registers this exact pair with `setWebSocketAutoResponse`, so the
 * runtime answers it without waking a hibernating object; it must therefore be byte-for-byte
 * this string (no `ref`, no spaces). A ping with a `ref` is a normal request and gets a `pong`
 * with the same `ref`.
 */
export const HEARTBEAT_PING = `${FRAME_PREFIX}"ping"}`;
export const HEARTBEAT_PONG = `${FRAME_PREFIX}"pong"}`;
