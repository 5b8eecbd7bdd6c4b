import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { StartGate } from "../../durable-objects/hub/start-gate";
import { watcherStub } from "./watcher-helpers";

/** Runs `test` inside a fresh object, with its real state (any object class will do). */
function insideAnObject(test: (state: DurableObjectState) => Promise<void>): Promise<void> {
  return runInDurableObject(watcherStub(env, "start-gate", crypto.randomUUID()), (_, state) => test(state));
}

describe("start gate", () => {
  it("runs the start once, however many events wait for it at once or later", async () => {
    await insideAnObject(async (state) => {
      let runs = 0;
      const gate = new StartGate(state, async () => {
        runs++;
        await scheduler.wait(5);
      });
      await Promise.all([gate.ready(), gate.ready(), gate.ready()]);
      await gate.ready();
      expect(runs).toBe(1);
    });
  });

  it("rethrows a failed start, keeps the object usable and tries again on the next event", async () => {
    await insideAnObject(async (state) => {
      let attempts = 0;
      const gate = new StartGate(state, async () => {
        attempts++;
        if (attempts === 1) throw new Error("the first start fails");
      });
      await expect(gate.ready()).rejects.toThrow("the first start fails");
      await state.storage.put("still", "usable");
      expect(await state.storage.get("still")).toBe("usable");
      await gate.ready();
      await gate.ready();
      expect(attempts).toBe(2);
    });
  });
});
