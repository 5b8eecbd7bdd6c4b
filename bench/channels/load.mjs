/**
 * The channel benchmark's load generator: one publisher and N subscribers over real WebSockets
 * (loopback), against one of three servers speaking different protocols. Publisher and
 * subscribers run in this process, so a message's send time and its delivery times come from the
 * same clock (`performance.now()`).
 */
import WebSocket from "ws";
import { percentile, round } from "../local-server.mjs";

/** How long any one phase may take before the run gives up on it. */
const PHASE_TIMEOUT_MS = 60_000;

/**
 * @typedef {object} Target
 * @property {string} label
 * @property {(room: string, role: "pub" | "sub") => { url: string, options?: import("ws").ClientOptions, protocols?: string[] }} connect
 * @property {(i: number, t: number) => string} frame the publisher's frame for message i sent at t
 * @property {(text: string) => { i: number, t: number }[]} deliveries what a received frame delivers
 */

/** Opens a socket and resolves once it is open (and, for Flarebase, once the hello arrived). */
export function open(target, room, role) {
  const { url, options, protocols } = target.connect(room, role);
  const ws = new WebSocket(url, protocols ?? [], { perMessageDeflate: false, ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target.label}: connecting timed out`)), 20_000);
    ws.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.once(target.waitsForHello ? "message" : "open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
  });
}

/**
 * Runs one measurement: N subscribers, a warm-up, a burst of `burst` messages sent back to back
 * (throughput: deliveries per second until every subscriber has them all), then `paced` messages
 * at `rate` per second (latency: p50/p99 from send to delivery).
 *
 * @param {Target} target
 * @param {{ subscribers: number, burst: number, paced: number, rate: number }} plan
 */
export async function measure(target, plan) {
  const room = `bench-${target.label}-${plan.subscribers}-${Date.now().toString(36)}`;
  const subscribers = [];
  for (let i = 0; i < plan.subscribers; i += 25) {
    const batch = Math.min(25, plan.subscribers - i);
    subscribers.push(...(await Promise.all(Array.from({ length: batch }, () => open(target, room, "sub")))));
  }
  const publisher = await open(target, room, "pub");

  /** Per phase: how many deliveries are expected, the latencies seen, and who to tell when done. */
  let phase = null;
  for (const ws of subscribers) {
    ws.on("message", (data) => {
      const now = performance.now();
      if (!phase) return;
      for (const { t } of target.deliveries(data.toString())) {
        if (t < phase.since) continue; // a late delivery from an earlier phase
        phase.latencies.push(now - t);
        if (phase.latencies.length === phase.expected) phase.done();
      }
    });
  }

  let sent = 0;
  const runPhase = async (count, ratePerSecond) => {
    const since = performance.now();
    const finished = new Promise((resolve, reject) => {
      phase = { since, expected: count * subscribers.length, latencies: [], done: resolve };
      setTimeout(() => reject(new Error(`${target.label}: phase timed out`)), PHASE_TIMEOUT_MS).unref();
    });
    if (ratePerSecond === null) {
      for (let i = 0; i < count; i++) publisher.send(target.frame(++sent, performance.now()));
    } else {
      const interval = 1000 / ratePerSecond;
      for (let i = 0; i < count; i++) {
        const due = since + i * interval;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        publisher.send(target.frame(++sent, performance.now()));
      }
    }
    await finished;
    const elapsed = performance.now() - since;
    const latencies = phase.latencies.sort((a, b) => a - b);
    phase = null;
    return { elapsed, latencies };
  };

  try {
    await runPhase(20, null); // warm-up: JIT, object start, storage
    const burst = await runPhase(plan.burst, null);
    const paced = await runPhase(plan.paced, plan.rate);
    return {
      deliveriesPerSecond: Math.round((plan.burst * subscribers.length) / (burst.elapsed / 1000)),
      burstP50: round(percentile(burst.latencies, 50)),
      burstP99: round(percentile(burst.latencies, 99)),
      p50: round(percentile(paced.latencies, 50), 2),
      p99: round(percentile(paced.latencies, 99), 2),
    };
  } finally {
    for (const ws of [...subscribers, publisher]) ws.terminate();
  }
}
