/**
 * What the endpoints benchmark measures on one target (./targets.mjs): request latency, download
 * throughput and an event stream's time to first event. Each figure is the median of several
 * rounds (the machine is shared); within a round, requests go one after the other.
 */
import { percentile } from "../local-server.mjs";

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function expectOk(response, what) {
  if (response.status !== 200) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response;
}

/** Small JSON requests: p50 and p99 in ms (each the median over the rounds). */
export async function latency(target, { requests, rounds }) {
  const p50s = [];
  const p99s = [];
  for (let round = 0; round < rounds; round++) {
    const times = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      const response = await expectOk(await fetch(target.url("/json"), { headers: target.headers }), "GET /json");
      await response.arrayBuffer();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    p50s.push(percentile(times, 50));
    p99s.push(percentile(times, 99));
  }
  return { p50: median(p50s), p99: median(p99s) };
}

/** One large streamed download: MB/s (10^6 bytes a second), median over the rounds. */
export async function throughput(target, { bytes, rounds }) {
  const rates = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const response = await expectOk(
      await fetch(target.url(`/bytes?size=${bytes}`), { headers: target.headers }),
      "GET /bytes",
    );
    let received = 0;
    for await (const chunk of response.body) received += chunk.byteLength;
    if (received !== bytes) throw new Error(`GET /bytes: ${received} of ${bytes} bytes`);
    rates.push(bytes / 1e6 / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

/** An event stream: ms from sending the request to the first event's bytes, median of `samples`. */
export async function timeToFirstEvent(target, { samples }) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const controller = new AbortController();
    const started = performance.now();
    const response = await expectOk(
      await fetch(target.url("/sse?events=50&delay=50"), { headers: target.headers, signal: controller.signal }),
      "GET /sse",
    );
    const reader = response.body.getReader();
    const first = await reader.read();
    times.push(performance.now() - started);
    if (first.done) throw new Error("GET /sse: ended before its first event");
    controller.abort();
    await reader.cancel().catch(() => {});
  }
  return median(times);
}
