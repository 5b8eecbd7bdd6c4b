/**
 * Channel fan-out benchmark (`npm run bench -- channels`): one publisher, 50 and 200 subscribers,
 * against three servers in the same local workerd (bench/channels/wrangler.toml):
 * - Flarebase channels, with storage, sequence numbers, dedup and frame validation on;
 * - a minimal partyserver broadcast room;
 * - a bare Durable Object broadcast loop.
 * Reports deliveries per second under a burst, p50/p99 publish-to-delivery latency at a paced
 * rate (and under the burst), and Flarebase's ratios to both baselines. Loopback only, bounded
 * in time (about a minute).
 */

import { ratio, withBenchServer } from "../local-server.mjs";
import { measure } from "./load.mjs";
import { benchTargets, CHANNELS_CONFIG } from "./targets.mjs";

export const name = "channels";
export const description =
  "channel fan-out, 1 publisher → N subscribers: Flarebase (stored, sequenced, deduped) vs partyserver vs a bare DO loop, same local workerd";

/**
 * Per subscriber count: the burst size (throughput) and the paced phase (latency). The paced rate
 * offers the same 5,000 deliveries per second at both sizes, well under every server's capacity.
 */
const PLANS = [
  { subscribers: 50, burst: 2000, paced: 300, rate: 100 },
  { subscribers: 200, burst: 500, paced: 75, rate: 25 },
];

export function run() {
  return withBenchServer(CHANNELS_CONFIG, async (server) => {
    const targets = benchTargets(server.url.replace("http://", "ws://"), server.project.keys);

    const rows = [];
    for (const plan of PLANS) {
      const results = {};
      for (const target of targets) results[target.label] = await measure(target, plan);
      const fb = results.flarebase;
      for (const target of targets) {
        const r = results[target.label];
        rows.push({
          subscribers: plan.subscribers,
          server: target.label,
          "deliveries/s": r.deliveriesPerSecond,
          "p50 ms": r.p50,
          "p99 ms": r.p99,
          "burst p50 ms": r.burstP50,
          "burst p99 ms": r.burstP99,
          "flarebase ÷ this":
            target.label === "flarebase" ? "1.00×" : ratio(fb.deliveriesPerSecond, r.deliveriesPerSecond),
        });
      }
    }
    return rows;
  });
}
