import { z } from "zod";

/**
 * The tunables of a realtime object: payload and rate limits, connection cap, replay buffer and
 * dedup window, heartbeat and fan-out coalescing. Every object starts with {@link DEFAULT_LIMITS};
 * an object's own overrides (set through its `configure` RPC) are stored in its SQLite storage, so
 * they survive eviction and restarts.
 */
export const HubLimits = z.object({
  /** Largest inbound frame in bytes (UTF-8); bigger frames get `frame_too_large`. */
  max_frame_bytes: z
    .number()
    .int()
    .min(256)
    .max(1024 * 1024),
  /** Largest presence `data`, serialized; it lives in the socket attachment, which must stay small. */
  max_presence_bytes: z.number().int().min(2).max(8192),
  /** Sockets per object; one more is accepted, told `too_many_connections` and closed. */
  max_connections: z.number().int().min(1).max(32_000),
  /** Token bucket per connection for public keys and user tokens: refill rate and burst size. */
  rate_per_second: z.number().positive().max(100_000),
  rate_burst: z.number().int().min(1).max(1_000_000),
  /** The same for secret-key connections (trusted servers). */
  trusted_rate_per_second: z.number().positive().max(1_000_000),
  trusted_rate_burst: z.number().int().min(1).max(10_000_000),
  /** Replay buffer bounds: stored messages older than either are dropped (the newest is always kept). */
  replay_max_count: z.number().int().min(1).max(100_000),
  replay_max_age_ms: z
    .number()
    .int()
    .min(1000)
    .max(30 * 24 * 3600 * 1000),
  /** How long a publish id is remembered for exactly-once publishing. */
  dedup_window_ms: z
    .number()
    .int()
    .min(1000)
    .max(24 * 3600 * 1000),
  /** The heartbeat interval clients are told to keep (they ping with the exact heartbeat frame). */
  heartbeat_ms: z.number().int().min(1000).max(600_000),
  /** A connection silent for this long (no frame, no heartbeat) is closed with 4008 and leaves presence. */
  idle_timeout_ms: z.number().int().min(2000).max(3_600_000),
  /** Fan-out coalescing: a burst is sent as one frame per subscriber of at most this many messages… */
  coalesce_max_items: z.number().int().min(1).max(10_000),
  /** …or this many bytes, whichever comes first. */
  coalesce_max_bytes: z
    .number()
    .int()
    .min(1024)
    .max(4 * 1024 * 1024),
});
export type HubLimits = z.infer<typeof HubLimits>;

/** Overrides accepted by `configure`: any subset of the limits. */
export const HubLimitsPatch = HubLimits.partial();
export type HubLimitsPatch = z.infer<typeof HubLimitsPatch>;

export const DEFAULT_LIMITS: HubLimits = {
  max_frame_bytes: 64 * 1024,
  max_presence_bytes: 2048,
  max_connections: 10_000,
  rate_per_second: 50,
  rate_burst: 200,
  trusted_rate_per_second: 20_000,
  trusted_rate_burst: 100_000,
  replay_max_count: 1000,
  replay_max_age_ms: 24 * 3600 * 1000,
  dedup_window_ms: 5 * 60 * 1000,
  heartbeat_ms: 25_000,
  idle_timeout_ms: 90_000,
  coalesce_max_items: 256,
  coalesce_max_bytes: 512 * 1024,
};
