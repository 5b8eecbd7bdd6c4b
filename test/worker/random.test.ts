import { describe, expect, it } from "vitest";
import { ALPHANUMERIC, BASE36, randomString } from "../../core/random";

/** How often each character of `alphabet` appears in `samples` characters of randomString. */
function counts(alphabet: string, samples: number): number[] {
  const text = randomString(samples, alphabet);
  const tally = new Map<string, number>();
  for (const char of text) tally.set(char, (tally.get(char) ?? 0) + 1);
  expect([...tally.keys()].every((char) => alphabet.includes(char))).toBe(true);
  return [...alphabet].map((char) => tally.get(char) ?? 0);
}

describe("randomString", () => {
  it("has the asked length and draws from the alphabet (62 characters by default)", () => {
    expect(randomString(40)).toMatch(/^[0-9A-Za-z]{40}$/);
    expect(randomString(16, BASE36)).toMatch(/^[0-9a-z]{16}$/);
    expect(ALPHANUMERIC).toHaveLength(62);
    expect(BASE36).toHaveLength(36);
  });

  it("draws every character of base 36 equally often (byte % 36 alone favours 0-3 by 8/7)", () => {
    // 2,000 expected per character, standard deviation about 44: a 10% band is more than 4.5
    // deviations wide, while the biased draw puts 0-3 at about 2,250.
    for (const count of counts(BASE36, 36 * 2000)) {
      expect(count).toBeGreaterThan(1800);
      expect(count).toBeLessThan(2200);
    }
  });

  it("draws every character of the 62-character alphabet equally often", () => {
    for (const count of counts(ALPHANUMERIC, 62 * 2000)) {
      expect(count).toBeGreaterThan(1800);
      expect(count).toBeLessThan(2200);
    }
  });
});
