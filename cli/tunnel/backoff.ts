// How long the CLI waits before it reconnects: quick at first (a restarted server, a blip),
// growing to a ceiling, with jitter so many tunnels do not return in step.

/** The first wait, the ceiling, and how long a connection must last before waits start over. */
export const BACKOFF = { firstMs: 250, maxMs: 15_000, stableMs: 10_000 } as const;

/** The wait before reconnect attempt `attempt` (1, 2, …): full jitter under an exponential ceiling. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
