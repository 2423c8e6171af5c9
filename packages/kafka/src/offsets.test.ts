import { describe, expect, it } from "vitest";
import { PartitionOffsets } from "./offsets.js";

function taken(...offsets: number[]): PartitionOffsets {
  const p = new PartitionOffsets();
  for (const o of offsets) p.take(o);
  return p;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe("PartitionOffsets", () => {
  it("has nothing to commit before anything was taken", () => {
    const p = new PartitionOffsets();
    expect(p.committable()).toBeUndefined();
    expect(p.firstOpen()).toBeUndefined();
    expect(p.inFlight).toBe(0);
  });

  it("commits up to the first unsettled offset (the next one to read)", () => {
    const p = taken(10, 11, 12);
    expect(p.inFlight).toBe(3);
    expect(p.firstOpen()).toBe(10);
    expect(p.committable()).toBe(10);
    p.settle(10);
    expect(p.committable()).toBe(11);
    p.settle(11);
    p.settle(12);
    expect(p.committable()).toBe(13);
    expect(p.firstOpen()).toBeUndefined();
    expect(p.inFlight).toBe(0);
  });

  it("never moves past an unsettled offset when later ones settle first", () => {
    const p = taken(0, 1, 2, 3);
    p.settle(3);
    p.settle(1);
    expect(p.committable()).toBe(0);
    expect(p.firstOpen()).toBe(0);
    expect(p.inFlight).toBe(2);
    p.settle(0);
    expect(p.committable()).toBe(2);
    expect(p.firstOpen()).toBe(2);
    p.settle(2);
    expect(p.committable()).toBe(4);
  });

  it("handles gaps between offsets (compacted topics, transaction markers)", () => {
    const p = taken(5, 9, 20);
    p.settle(5);
    expect(p.committable()).toBe(9);
    p.settle(20);
    expect(p.committable()).toBe(9);
    p.settle(9);
    expect(p.committable()).toBe(21);
  });

  it("ignores unknown and repeated settlements", () => {
    const p = taken(0, 1);
    p.settle(7);
    p.settle(-1);
    expect(p.inFlight).toBe(2);
    expect(p.committable()).toBe(0);
    p.settle(0);
    p.settle(0);
    expect(p.inFlight).toBe(1);
    expect(p.committable()).toBe(1);
  });

  it("does not offer the same offset twice once committed", () => {
    const p = taken(0, 1, 2);
    p.settle(0);
    expect(p.committable()).toBe(1);
    p.committed(1);
    expect(p.committable()).toBeUndefined();
    p.settle(2);
    expect(p.committable()).toBeUndefined();
    p.settle(1);
    expect(p.committable()).toBe(3);
    p.committed(3);
    expect(p.committable()).toBeUndefined();
    p.take(3);
    expect(p.committable()).toBeUndefined();
    p.settle(3);
    expect(p.committable()).toBe(4);
  });

  it("ignores a commit report older than the last one", () => {
    const p = taken(0, 1, 2);
    p.settle(0);
    p.settle(1);
    p.committed(2);
    p.committed(1);
    expect(p.committable()).toBeUndefined();
    p.settle(2);
    expect(p.committable()).toBe(3);
  });

  it("rewind drops taken offsets at and after the rewind point", () => {
    const p = taken(0, 1, 2, 3, 4);
    p.settle(0);
    p.settle(3);
    p.rewind(2);
    expect(p.inFlight).toBe(1);
    expect(p.firstOpen()).toBe(1);
    expect(p.committable()).toBe(1);
    // settlements of dropped offsets (their handlers finished late) are ignored
    p.settle(2);
    p.settle(4);
    expect(p.inFlight).toBe(1);
    expect(p.committable()).toBe(1);
    p.settle(1);
    expect(p.committable()).toBe(2);
    expect(p.firstOpen()).toBeUndefined();
  });

  it("redelivered offsets are tracked again after a rewind", () => {
    const p = taken(0, 1, 2);
    p.rewind(1);
    expect(p.committable()).toBe(0);
    p.take(1);
    p.take(2);
    p.settle(0);
    p.settle(2);
    expect(p.committable()).toBe(1);
    p.settle(1);
    expect(p.committable()).toBe(3);
  });

  it("rewinding to the first taken offset leaves nothing in flight", () => {
    const p = taken(7, 8);
    p.rewind(7);
    expect(p.inFlight).toBe(0);
    expect(p.firstOpen()).toBeUndefined();
    expect(p.committable()).toBe(7);
    p.settle(7);
    expect(p.committable()).toBe(7);
  });

  it("rewinding past everything taken changes nothing", () => {
    const p = taken(0, 1);
    p.settle(0);
    p.rewind(5);
    expect(p.inFlight).toBe(1);
    expect(p.committable()).toBe(1);
  });

  it("stays correct after compacting more than 4096 settled offsets", () => {
    const p = taken(...range(0, 6000));
    for (const o of range(0, 4200)) p.settle(o);
    expect(p.committable()).toBe(4200);
    expect(p.firstOpen()).toBe(4200);
    expect(p.inFlight).toBe(1800);
    p.settle(4300);
    p.rewind(5000);
    expect(p.inFlight).toBe(799);
    for (const o of range(4200, 4300)) p.settle(o);
    expect(p.committable()).toBe(4301);
    for (const o of range(4301, 5000)) p.settle(o);
    expect(p.committable()).toBe(5000);
    expect(p.inFlight).toBe(0);
    p.settle(5500);
    expect(p.committable()).toBe(5000);
    for (const o of range(5000, 9000)) p.take(o);
    for (const o of range(5000, 9000).reverse()) p.settle(o);
    expect(p.committable()).toBe(9000);
    expect(p.firstOpen()).toBeUndefined();
  });

  it("keeps an early unsettled offset holding back thousands of settled ones", () => {
    const p = taken(...range(0, 5000));
    for (const o of range(1, 5000)) p.settle(o);
    expect(p.committable()).toBe(0);
    expect(p.inFlight).toBe(1);
    p.settle(0);
    expect(p.committable()).toBe(5000);
    p.take(5000);
    expect(p.firstOpen()).toBe(5000);
    expect(p.committable()).toBe(5000);
  });

  it("agrees with a plain model under random takes, settlements and rewinds", () => {
    // Seeded LCG so a failure reproduces.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const p = new PartitionOffsets();
    const open = new Set<number>();
    const takenList: number[] = [];
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      const r = rand(10);
      if (r < 4) {
        next += 1 + rand(2);
        p.take(next);
        takenList.push(next);
        open.add(next);
      } else if (r < 9 && takenList.length > 0) {
        const o = takenList[rand(takenList.length)]!;
        p.settle(o);
        open.delete(o);
      } else if (open.size > 0) {
        const from = Math.min(...open);
        p.rewind(from);
        for (const o of [...open]) if (o >= from) open.delete(o);
        while (takenList.length > 0 && takenList[takenList.length - 1]! >= from) takenList.pop();
        next = from - 1;
      }
      expect(p.inFlight).toBe(open.size);
      const first = open.size > 0 ? Math.min(...open) : undefined;
      expect(p.firstOpen()).toBe(first);
    }
  });
});
