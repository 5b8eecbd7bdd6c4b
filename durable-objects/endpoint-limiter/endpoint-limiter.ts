import { DurableObject } from "cloudflare:workers";
import { decide } from "./gcra";

/** What one proxied call asks of its endpoint's limiter. */
export interface LimitRequest {
  /** Requests per minute for the label as a whole, or null. */
  perLabel: number | null;
  /** Requests per minute for each caller, or null. */
  perCaller: number | null;
  /** Who is calling (`user:<id>`, `ip:<address>`), counted when `perCaller` is set. */
  caller: string;
}

/** The answer: allowed, or refused by which limit and for how long. */
export type LimitAnswer = { allowed: true } | { allowed: false; scope: "label" | "caller"; retryAfterMs: number };

/** Callers remembered at once; past it the ones back at full budget go first, then the oldest. */
const MAX_CALLERS = 10_000;

/**
 * The rate limits of one endpoint (one object per project and label, named by
 * `endpointLimiterName`). The proxy asks it once per call, and only for endpoints that have a
 * limit, so unlimited endpoints never pay the round trip.
 *
 * Counters live in memory: a Durable Object runs single-threaded in one place, so every call of
 * the label is counted exactly, whichever edge it came through. What it forgets: an object that
 * restarts (deploy, eviction after a quiet spell) starts every key at full budget again, which
 * can let at most one extra burst through; and past MAX_CALLERS distinct callers the least
 * recent are forgotten the same way.
 */
export class EndpointLimiterObject extends DurableObject<Env> {
  #label = 0;
  #callers = new Map<string, number>();

  /** Counts one call against both limits: a call refused by one is charged to neither. */
  take(request: LimitRequest): LimitAnswer {
    const now = Date.now();
    let labelTat: number | undefined;
    if (request.perLabel !== null) {
      const { verdict, tat } = decide(this.#label, request.perLabel, now);
      if (!verdict.allowed) return { allowed: false, scope: "label", retryAfterMs: verdict.retryAfterMs };
      labelTat = tat;
    }
    if (request.perCaller !== null) {
      const { verdict, tat } = decide(this.#callers.get(request.caller) ?? 0, request.perCaller, now);
      if (!verdict.allowed) return { allowed: false, scope: "caller", retryAfterMs: verdict.retryAfterMs };
      this.#callers.delete(request.caller); // re-inserted last: the Map's order is recency
      this.#callers.set(request.caller, tat);
      if (this.#callers.size > MAX_CALLERS) this.#forget(now);
    }
    if (labelTat !== undefined) this.#label = labelTat;
    return { allowed: true };
  }

  /** Drops callers back at full budget (nothing is lost), then the least recent ones. */
  #forget(now: number) {
    for (const [caller, tat] of this.#callers) if (tat <= now) this.#callers.delete(caller);
    for (const caller of this.#callers.keys()) {
      if (this.#callers.size <= MAX_CALLERS * 0.9) break;
      this.#callers.delete(caller);
    }
  }
}

/** The limiter object of one endpoint. */
export function endpointLimiterName(projectId: string, label: string): string {
  return `${projectId}/${label}`;
}
