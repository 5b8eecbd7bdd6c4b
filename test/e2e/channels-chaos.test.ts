// Chaos: a stream of 10,000 messages while subscribers (and sometimes the publisher) lose their
// connections at random. Every subscriber's application must see every message exactly once, in
// order, and the channel must hold each publish exactly once.
import { afterEach, expect, it } from "vitest";
import type { ChannelMessage, FlarebaseClient, GapEvent } from "../../sdk/index";
import { cuttableWebSocket, Recorder, uniqueChannel } from "./channels-helpers";
import { clientFor, createTestProject } from "./helpers";

const MESSAGES = 10_000;
const SUBSCRIBERS = 5;
/** Publishes in flight at once: enough for throughput, few enough that a cut loses many acks. */
const WINDOW = 100;
/** A random socket is cut every 50-250 ms while the stream runs. */
const CUT_EVERY_MS = [50, 250] as const;
const FAST = { minDelayMs: 20, maxDelayMs: 200 };

const opened: FlarebaseClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.realtime.close();
});

it(`delivers ${MESSAGES} messages exactly once, in order, to subscribers cut off at random`, {
  // About 50 s on a quiet 2-core machine; the limit leaves room for a busy CI box.
  timeout: 240_000,
}, async () => {
  const { project } = await createTestProject();
  const name = uniqueChannel("chaos");

  const subscribers = Array.from({ length: SUBSCRIBERS }, () => {
    const sockets = cuttableWebSocket();
    const client = clientFor({ key: project.keys.public, WebSocket: sockets.WebSocket, realtime: { reconnect: FAST } });
    opened.push(client);
    const seen = new Recorder<ChannelMessage>();
    const gaps = new Recorder<GapEvent>();
    const channel = client.realtime.channels.get(name);
    channel.on(seen.push);
    channel.onGap(gaps.push);
    return { client, sockets, seen, gaps, channel, cuts: 0 };
  });
  await Promise.all(subscribers.map((subscriber) => subscriber.client.connection.once("connected")));

  // A trusted server publishes (the secret key's rate limit allows a fast stream).
  const publisherSockets = cuttableWebSocket();
  const publisher = clientFor({
    key: project.keys.secret,
    WebSocket: publisherSockets.WebSocket,
    realtime: { reconnect: FAST },
  });
  opened.push(publisher);
  const stream = publisher.realtime.channels.get(name);

  let publisherCuts = 0;
  let running = true;
  const chaos = (async () => {
    while (running) {
      const [min, max] = CUT_EVERY_MS;
      await new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
      if (!running) break;
      // One cut in six hits the publisher: its unacknowledged publishes are resent with their ids.
      if (Math.random() < 1 / 6) {
        if (publisherSockets.cutAll() > 0) publisherCuts++;
      } else {
        const victim = subscribers[Math.floor(Math.random() * subscribers.length)];
        if (victim && victim.sockets.cutAll() > 0) victim.cuts++;
      }
    }
  })();

  const started = Date.now();
  const inFlight = new Set<Promise<unknown>>();
  const results: { seq: number | null; duplicate: boolean }[] = [];
  try {
    for (let n = 0; n < MESSAGES; n++) {
      const publish = stream.publish("tick", { n }).then((result) => {
        results[n] = result;
        inFlight.delete(publish);
      });
      inFlight.add(publish);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    running = false;
    await chaos;
  }
  const publishedInMs = Date.now() - started;

  // Each publish is stored exactly once: seqs 1..N in publish order, whatever was resent.
  expect(results.map((result) => result.seq)).toEqual(Array.from({ length: MESSAGES }, (_, n) => n + 1));
  const expected = Array.from({ length: MESSAGES }, (_, n) => n);
  for (const subscriber of subscribers) {
    await subscriber.seen.count(MESSAGES, 30_000);
    expect(subscriber.gaps.items).toEqual([]);
    expect(subscriber.seen.items.map((message) => (message.data as { n: number }).n)).toEqual(expected);
    expect(subscriber.seen.items.map((message) => message.seq)).toEqual(expected.map((n) => n + 1));
  }
  const cuts = subscribers.map((subscriber) => subscriber.cuts);
  console.info(
    `chaos: ${MESSAGES} messages in ${publishedInMs} ms; subscriber cuts ${cuts.join(", ")}; publisher cuts ${publisherCuts}; resent duplicates ${results.filter((result) => result.duplicate).length}`,
  );
  // The chaos really happened: every subscriber lost its connection at least once.
  expect(Math.min(...cuts)).toBeGreaterThan(0);
});
