import { describe, expect, it } from "vitest";
import { Semaphore } from "./semaphore.js";

/** A promise resolved from outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("Semaphore", () => {
  it("hands out free permits synchronously, then makes callers wait", () => {
    const semaphore = new Semaphore(2);
    expect(semaphore.acquire()).toBeUndefined();
    expect(semaphore.acquire()).toBeUndefined();
    expect(semaphore.acquire()).toBeInstanceOf(Promise);
  });

  it("returns a released permit to the pool when nobody waits", () => {
    const semaphore = new Semaphore(1);
    expect(semaphore.acquire()).toBeUndefined();
    semaphore.release();
    expect(semaphore.acquire()).toBeUndefined();
    expect(semaphore.acquire()).toBeInstanceOf(Promise);
  });

  it("wakes waiters one per release, first come first served", async () => {
    const semaphore = new Semaphore(1);
    semaphore.acquire();
    const woken: string[] = [];
    const waits = ["a", "b", "c"].map((name) => semaphore.acquire()!.then(() => woken.push(name)));
    semaphore.release();
    await waits[0];
    expect(woken).toEqual(["a"]);
    semaphore.release();
    semaphore.release();
    await Promise.all(waits);
    expect(woken).toEqual(["a", "b", "c"]);
    // every permit went to a waiter: none is free now
    expect(semaphore.acquire()).toBeInstanceOf(Promise);
  });

  it("bounds the number of tasks running at once", async () => {
    const semaphore = new Semaphore(3);
    const gates = Array.from({ length: 8 }, deferred);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const tasks = gates.map(async (gate, i) => {
      const wait = semaphore.acquire();
      if (wait) await wait;
      running++;
      peak = Math.max(peak, running);
      started.push(i);
      try {
        await gate.promise;
      } finally {
        running--;
        semaphore.release();
      }
    });
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    await Promise.all(tasks);
    expect(peak).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(running).toBe(0);
  });
});
