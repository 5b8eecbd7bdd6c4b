import { describe, expect, it } from "vitest";
import { decide, WINDOW_MS } from "../../durable-objects/endpoint-limiter/gcra";
import { callerResponseHeaders, upstreamRequestHeaders } from "../../worker/endpoints/headers";
import { isPrivateHost } from "../../worker/endpoints/upstream-guard";

describe("the rate of a limit (GCRA)", () => {
  it("allows a burst of `limit` from rest, then one every window / limit, with the exact wait", () => {
    const limit = 3;
    let tat = 0;
    const now = 1_000_000;
    for (let i = 0; i < limit; i++) {
      const step = decide(tat, limit, now);
      expect(step.verdict.allowed).toBe(true);
      tat = step.tat;
    }
    const refused = decide(tat, limit, now);
    expect(refused.verdict).toEqual({ allowed: false, retryAfterMs: WINDOW_MS / limit });
    expect(refused.tat).toBe(tat); // a refusal costs nothing
    expect(decide(tat, limit, now + WINDOW_MS / limit - 1).verdict.allowed).toBe(false);
    expect(decide(tat, limit, now + WINDOW_MS / limit).verdict.allowed).toBe(true);
  });

  it("is a bucket of `limit` refilled at `limit` a window: never more, at any request rate", () => {
    const limit = 10;
    let tat = 0;
    const allowedAt: number[] = [];
    const windows = 5;
    for (let now = 0; now < windows * WINDOW_MS; now += 997) {
      const step = decide(tat, limit, now);
      if (step.verdict.allowed) allowedAt.push(now);
      tat = step.tat;
    }
    // The burst from rest plus the refill: never more than that, and no less.
    expect(allowedAt.length).toBeLessThanOrEqual(limit + windows * limit);
    expect(allowedAt.length).toBeGreaterThanOrEqual(limit + windows * limit - 1);
    for (const start of allowedAt) {
      expect(allowedAt.filter((at) => at >= start && at < start + WINDOW_MS).length).toBeLessThanOrEqual(2 * limit - 1);
    }
  });
});

describe("private hosts", () => {
  it("knows the addresses and names no public upstream has, as URL.hostname writes them", () => {
    const host = (url: string) => new URL(url).hostname;
    for (const url of [
      "http://127.1",
      "http://[::]",
      "http://[fe80::1]",
      "http://[ff02::1]",
      "http://10.1.2.3.",
      "http://LOCALHOST",
    ]) {
      expect(isPrivateHost(host(url)), url).toBe(true);
    }
    for (const url of ["http://8.8.8.8", "http://[2001:db8::1]", "http://example.com", "http://172.32.0.1"]) {
      expect(isPrivateHost(host(url)), url).toBe(false);
    }
  });
});

describe("headers across the proxy", () => {
  it("drop what the Connection header names, both ways", () => {
    const out = upstreamRequestHeaders(new Headers({ connection: "x-a, close", "x-a": "1", "x-b": "2" }), {
      clientIp: "203.0.113.9",
      proxyUrl: new URL("https://flarebase.example/v1/proxy/l/x"),
      prefix: "/v1/proxy/l",
      secretHeaders: {},
    });
    expect([...out.keys()].sort()).toEqual([
      "accept-encoding",
      "x-b",
      "x-forwarded-for",
      "x-forwarded-host",
      "x-forwarded-prefix",
      "x-forwarded-proto",
    ]);
    const back = callerResponseHeaders(new Headers({ connection: "x-c", "x-c": "1", "x-d": "2", "set-cookie": "a=b" }));
    expect([...back.keys()]).toEqual(["x-d"]);
  });
});
