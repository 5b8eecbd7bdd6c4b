import { describe, expect, it } from "vitest";
import { capabilitiesOf, channelOps, opNames, opsFor, patternMatches } from "../../core/protocol/capabilities";
import { channelNameProblem } from "../../core/protocol/channel-names";
import { type DeliveredItem, type Json, messagesFrames } from "../../durable-objects/hub/frames";
import { HOLD_MS, TokenBucket } from "../../durable-objects/hub/rate-limit";

describe("capabilities", () => {
  it("matches exact names, prefix patterns and the wildcard", () => {
    expect(patternMatches("*", "anything")).toBe(true);
    expect(patternMatches("chat:*", "chat:1")).toBe(true);
    expect(patternMatches("chat:*", "chat:")).toBe(true);
    expect(patternMatches("chat:*", "chatter")).toBe(false);
    expect(patternMatches("news", "news")).toBe(true);
    expect(patternMatches("news", "news2")).toBe(false);
  });

  it("adds up the ops of every matching pattern", () => {
    const map = { "chat:*": ["subscribe"], "chat:vip": ["publish"], other: ["*"] } as const;
    expect(opNames(opsFor(map, "chat:vip"))).toEqual(["subscribe", "publish"]);
    expect(opNames(opsFor(map, "chat:1"))).toEqual(["subscribe"]);
    expect(opNames(opsFor(map, "other"))).toEqual(["subscribe", "publish", "presence", "history"]);
    expect(opsFor(map, "nothing")).toBe(0);
  });

  it("derives a caller's map from its kind and claims; a malformed claim grants nothing", () => {
    expect(opsFor(capabilitiesOf({ kind: "secret", claims: {} }), "x")).toBe(15);
    expect(opsFor(capabilitiesOf({ kind: "public", claims: {} }), "x")).toBe(15);
    expect(opsFor(capabilitiesOf({ kind: "user", claims: {} }), "x")).toBe(15);
    expect(opsFor(capabilitiesOf({ kind: "user", claims: { channels: { a: ["subscribe"] } } }), "x")).toBe(0);
    expect(opsFor(capabilitiesOf({ kind: "user", claims: { channels: { "*": ["fly"] } } }), "x")).toBe(0);
    expect(opsFor(capabilitiesOf({ kind: "user", claims: { channels: "all" } }), "x")).toBe(0);
  });

  it("uses the project's default for public keys and unscoped tokens only", () => {
    const projectDefault = { "chat:*": ["subscribe"] } as const;
    expect(opsFor(capabilitiesOf({ kind: "public", claims: {} }, projectDefault), "chat:1")).toBe(1);
    expect(opsFor(capabilitiesOf({ kind: "public", claims: {} }, projectDefault), "x")).toBe(0);
    expect(opsFor(capabilitiesOf({ kind: "user", claims: {} }, projectDefault), "x")).toBe(0);
    expect(opsFor(capabilitiesOf({ kind: "user", claims: { channels: { x: ["*"] } } }, projectDefault), "x")).toBe(15);
    expect(opsFor(capabilitiesOf({ kind: "secret", claims: {} }, projectDefault), "x")).toBe(15);
  });

  it("lets everyone subscribe to the broadcast channel and read its history, nothing more", () => {
    expect(opNames(channelOps({}, "_broadcast"))).toEqual(["subscribe", "history"]);
    expect(opNames(channelOps({ _broadcast: ["publish"] }, "_broadcast"))).toEqual(["subscribe", "publish", "history"]);
    expect(channelOps({}, "chat:1")).toBe(0);
  });
});

describe("channel names", () => {
  it("accepts 1-255 characters of the name alphabet and reserves the _ prefix", () => {
    expect(channelNameProblem("chat.rooms:42_a-b")).toBeNull();
    expect(channelNameProblem("_broadcast")).toBeNull();
    expect(channelNameProblem("_other")).toMatch(/reserved/);
    expect(channelNameProblem("")).toMatch(/not a channel name/);
    expect(channelNameProblem("a/b")).toMatch(/not a channel name/);
    expect(channelNameProblem("x".repeat(255))).toBeNull();
    expect(channelNameProblem("x".repeat(256))).toMatch(/not a channel name/);
  });
});

describe("token bucket", () => {
  it("allows a burst, then one token per refill interval, and says how long to wait", () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(50)).toBe(50);
    expect(bucket.take(100)).toBe(0);
    expect(bucket.take(10_000)).toBe(0); // refilled, but never above the burst
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([0, 0, 100]);
  });

  it("never lets a later request overtake a refused one until it is retried or the hold passes", () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect([bucket.take(0, 1), bucket.take(0, 2), bucket.take(0, 3)]).toEqual([0, 0, 100]);
    // Refilled, but ref 4 would overtake ref 3: refused too, taking nothing.
    expect(bucket.take(300, 4)).toBeGreaterThan(0);
    expect(bucket.take(300, null)).toBe(0); // frames without a ref are not ordered requests
    expect([bucket.take(400, 3), bucket.take(400, 4)]).toEqual([0, 0]);
    // A refused request that is never retried holds the others back for HOLD_MS at most.
    expect(bucket.take(400, 5)).toBe(100);
    expect(bucket.take(1000, 6)).toBeGreaterThan(0);
    expect(bucket.take(500 + HOLD_MS, 6)).toBe(0);
  });
});

describe("messages frames", () => {
  it("splits by count and by size, keeping order, and never splits a single message", () => {
    const items = ["1", "22", "333", "4444"].map((s) => JSON.stringify(s) as Json<DeliveredItem>);
    expect(messagesFrames(items, 2, 1000)).toEqual([
      '{"v":1,"type":"messages","items":["1","22"]}',
      '{"v":1,"type":"messages","items":["333","4444"]}',
    ]);
    expect(messagesFrames(items, 10, 7).map((f) => JSON.parse(f).items)).toEqual([["1", "22"], ["333"], ["4444"]]);
    expect(messagesFrames([], 10, 10)).toEqual([]);
  });
});
