import { describe, expect, it } from "vitest";
import { exceedsUtf8Bytes, utf8Length } from "../../core/utf8";

describe("UTF-8 sizes", () => {
  it("counts bytes, not string units", () => {
    expect(utf8Length("abc")).toBe(3);
    expect(utf8Length("é")).toBe(2);
    expect(utf8Length("€")).toBe(3);
    expect(utf8Length("😀")).toBe(4); // two UTF-16 units
  });

  it("decides at the exact byte bound, whether or not the string's length alone settles it", () => {
    expect(exceedsUtf8Bytes("a".repeat(10), 10)).toBe(false);
    expect(exceedsUtf8Bytes("a".repeat(11), 10)).toBe(true);
    expect(exceedsUtf8Bytes("€€€", 9)).toBe(false);
    expect(exceedsUtf8Bytes("€€€", 8)).toBe(true);
    expect(exceedsUtf8Bytes("😀😀", 8)).toBe(false);
    expect(exceedsUtf8Bytes("😀😀", 7)).toBe(true);
    expect(exceedsUtf8Bytes("ab", 6)).toBe(false);
  });
});
