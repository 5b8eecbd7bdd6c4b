import { describe, expect, it } from "vitest";
import { ApiError, ERROR_CODE_NAMES, ERROR_CODES } from "../../core/errors";
import { ErrorFrame } from "../../core/protocol/channel";
import { CLOSE_CODES } from "../../core/protocol/close-codes";

describe("the one error-code table", () => {
  it("gives every code an error status and an application close code", () => {
    const closeCodes = new Set<number>(Object.values(CLOSE_CODES));
    for (const [code, { status, close }] of Object.entries(ERROR_CODES)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(closeCodes.has(close), code).toBe(true);
      expect(close, code).toBeGreaterThanOrEqual(4000);
      expect(close, code).toBeLessThan(5000);
    }
  });

  it("is the code list of realtime error frames too", () => {
    expect(ERROR_CODE_NAMES).toEqual(Object.keys(ERROR_CODES));
    for (const code of ERROR_CODE_NAMES) {
      expect(ErrorFrame.safeParse({ v: 1, type: "error", ref: null, code, message: "m" }).success, code).toBe(true);
    }
    expect(ErrorFrame.safeParse({ v: 1, type: "error", ref: null, code: "nope", message: "m" }).success).toBe(false);
  });

  it("is where an ApiError takes its status and close code, unless told otherwise", () => {
    const full = new ApiError("room_full", "The room is full.", { max_participants: 2 });
    expect([full.status, full.closeCode]).toEqual([409, CLOSE_CODES.room_full]);
    const lost = new ApiError("internal", "Lost.", undefined, { status: 503, closeCode: CLOSE_CODES.going_away });
    expect([lost.status, lost.closeCode]).toEqual([503, CLOSE_CODES.going_away]);
    const again = ApiError.fromBody(full.toBody());
    expect([again.code, again.message, again.details, again.status, again.closeCode]).toEqual([
      "room_full",
      "The room is full.",
      { max_participants: 2 },
      409,
      CLOSE_CODES.room_full,
    ]);
  });
});
