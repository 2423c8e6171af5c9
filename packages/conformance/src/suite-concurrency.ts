import { expect, it } from "vitest";
import { fastConsumer, type SuiteContext } from "./context.js";
import { CapturingLogger, Collector, uniqueName, withTimeout } from "./env.js";

/** Tracks handlers in flight and releases them once `target` run at the same time. */
class Barrier {
  inFlight = 0;
  max = 0;
  #waiters: (() => void)[] = [];
  constructor(readonly target: number) {}
  async enter(): Promise<void> {
    this.inFlight++;
    this.max = Math.max(this.max, this.inFlight);
    if (this.max >= this.target) {
      for (const w of this.#waiters.splice(0)) w();
    } else {
      await withTimeout(new Promise<void>((r) => this.#waiters.push(r)), 20_000, `${this.target} concurrent handlers`);
    }
  }
  leave(): void {
    this.inFlight--;
  }
}

export function concurrencyCases(ctx: SuiteContext): void {
  it("maxWorkers processes partitions in parallel and keeps each partition in order", async () => {
    const t = await ctx.topic(3);
    const broker = await ctx.broker();
    const barrier = new Barrier(3);
    const got = new Collector<{ partition: number; n: number }>();
    broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), maxWorkers: 3 }).handle(async (b, m) => {
      await barrier.enter();
      got.push({ partition: m.partition, n: (b as { n: number }).n });
      barrier.leave();
    });
    await broker.start();
    const sent: { partition: number; n: number }[] = [];
    for (let n = 0; n < 30; n++) {
      const partition = n % 3;
      sent.push({ partition, n });
      await broker.publish({ n }, t, { partition });
    }
    const items = await got.waitFor(30, 30_000);
    expect(barrier.max).toBeGreaterThanOrEqual(3);
    for (const p of [0, 1, 2]) {
      expect(items.filter((i) => i.partition === p).map((i) => i.n)).toEqual(
        sent.filter((s) => s.partition === p).map((s) => s.n),
      );
    }
  });

  it("ordering by key: equal keys stay in order while different keys run in parallel", async () => {
    const t = await ctx.topic(1);
    const broker = await ctx.broker();
    const barrier = new Barrier(3);
    const got = new Collector<{ key: string; n: number }>();
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), maxWorkers: 3, ordering: "key" })
      .handle(async (b, m) => {
        const first = (b as { n: number }).n < 3;
        if (first) await barrier.enter();
        got.push({ key: m.keyText!, n: (b as { n: number }).n });
        if (first) barrier.leave();
      });
    const keys = ["a", "b", "c"];
    const messages = Array.from({ length: 30 }, (_, n) => ({ n, key: keys[n % 3]! }));
    const results = await (async () => {
      await broker.start();
      return broker.publishBatch(
        messages.map((m) => ({ body: { n: m.n }, key: m.key })),
        t,
      );
    })();
    expect(results.every((r) => r.ok)).toBe(true);
    const items = await got.waitFor(30, 30_000);
    expect(barrier.max).toBeGreaterThanOrEqual(3);
    for (const k of keys) {
      expect(items.filter((i) => i.key === k).map((i) => i.n)).toEqual(
        messages.filter((m) => m.key === k).map((m) => m.n),
      );
    }
  });

  for (const maxWorkers of [1, 4]) {
    it(`a large backlog behind a stuck handler stays bounded in memory (maxWorkers ${maxWorkers})`, async () => {
      const t = await ctx.topic(2);
      const broker = await ctx.broker();
      let release!: () => void;
      const stuck = new Promise<void>((r) => {
        release = r;
      });
      const started = new Collector<number>();
      const done = new Collector<number>();
      const sub = broker
        .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), maxWorkers, maxBatchSize: 50 })
        .handle(async (b) => {
          started.push(1);
          await stuck;
          done.push((b as { n: number }).n);
        });
      await broker.start();
      const total = 2_000;
      for (let i = 0; i < total; i += 500) {
        await broker.publishBatch(
          Array.from({ length: 500 }, (_, j) => ({ body: { n: i + j }, partition: (i + j) % 2 })),
          t,
        );
      }
      await started.waitFor(Math.min(maxWorkers, 2));
      // Fetching is held back: per partition at most about two batches wait in memory.
      const bound = 2 * 2 * 50 + maxWorkers;
      await expect.poll(() => sub.pending, { timeout: 5_000 }).toBeGreaterThan(0);
      expect(sub.pending).toBeLessThanOrEqual(bound);
      release();
      await done.waitFor(total, 60_000);
      expect(sub.pending).toBeLessThanOrEqual(bound);
    });
  }

  it("by default one message is handled at a time per subscriber", async () => {
    const t = await ctx.topic(3);
    const broker = await ctx.broker();
    let inFlight = 0;
    let max = 0;
    const got = new Collector<number>();
    broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g") }).handle(async (b) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise<void>((r) => setImmediate(r));
      inFlight--;
      got.push((b as { n: number }).n);
    });
    await broker.start();
    await broker.publishBatch(
      Array.from({ length: 15 }, (_, n) => ({ body: { n }, partition: n % 3 })),
      t,
    );
    await got.waitFor(15);
    expect(max).toBe(1);
  });

  it("batch subscribers get arrays of typed bodies with per-record metadata, bad records left out", async () => {
    const t = await ctx.topic(1);
    const logger = new CapturingLogger();
    const broker = await ctx.broker({ logger });
    const batches = new Collector<{ ns: number[]; offsets: number[]; keys: (string | undefined)[] }>();
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), batch: true, maxRecords: 5, codec: "json" })
      .handle((bodies, messages) => {
        batches.push({
          ns: bodies.map((b) => (b as { n: number }).n),
          offsets: messages.map((m) => m.offset),
          keys: messages.map((m) => m.keyText),
        });
      });
    await broker.start();
    const items = Array.from({ length: 12 }, (_, n) => ({ body: n === 4 ? "not-json-object" : { n }, key: `k${n}` }));
    await broker.publishBatch(items, t);
    await broker.publish("{broken", t, { codec: "string" });
    await broker.publish({ n: 99 }, t);
    const all = async (): Promise<number[]> => batches.items.flatMap((b) => b.ns);
    await withTimeout(
      (async () => {
        while (!(await all()).includes(99)) await batches.waitFor(batches.items.length + 1, 20_000);
      })(),
      30_000,
      "the last batch",
    );
    for (const b of batches.items) expect(b.ns.length).toBeLessThanOrEqual(5);
    expect(await all()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 99]);
    const flat = batches.items.flatMap((b) => b.offsets);
    expect(flat).toEqual([...flat].sort((x, y) => x - y));
    expect(batches.items[0]!.keys[0]).toBe("k0");
    expect(logger.lines.filter((l) => l.level === "error").map((l) => l.fields["offset"])).toEqual([4, 12]);
  });
}
