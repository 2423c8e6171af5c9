import { AckMessage, NackMessage, RejectMessage, SkipMessage, StopConsume } from "@faststream/core";
import type { KafkaBrokerBase } from "@faststream/kafka";
import { expect, it } from "vitest";
import { fastConsumer, type SuiteContext } from "./context.js";
import { CapturingLogger, Collector, uniqueName } from "./env.js";

/** A promise with its resolver, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export function ackCases(ctx: SuiteContext): void {
  /** Starts a fresh broker on `topic` in `group` that records the `n` of each message. */
  async function consumer(topic: string, group: string, options: Record<string, unknown> = {}) {
    const broker = await ctx.broker();
    const got = new Collector<number>();
    broker.subscriber(topic, { ...fastConsumer, groupId: group, ...options }).handle((b) => {
      got.push((b as { n: number }).n);
    });
    await broker.start();
    return { broker, got };
  }

  it("reject_on_error (default): a failed message is logged, committed and not redelivered", async () => {
    const t = await ctx.topic();
    const group = uniqueName("g");
    const logger = new CapturingLogger();
    const broker = await ctx.broker({ logger });
    const seen = new Collector<number>();
    broker.subscriber(t, { ...fastConsumer, groupId: group }).handle((b) => {
      const { n } = b as { n: number };
      seen.push(n);
      if (n === 0) throw new Error("boom");
    });
    await broker.start();
    for (const n of [0, 1]) await broker.publish({ n }, t);
    expect(await seen.waitFor(2)).toEqual([0, 1]);
    const failure = await logger.waitFor((l) => l.level === "error");
    expect(failure.fields).toMatchObject({ topic: t, partition: 0, offset: 0, settlement: "reject" });
    await broker.stop();
    const again = await consumer(t, group);
    await again.broker.publish({ n: 2 }, t);
    expect(await again.got.waitFor(1)).toEqual([2]);
  });

  it("nack_on_error: a failed message is redelivered, in order, before later ones", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    const seen = new Collector<number>();
    let failures = 0;
    broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), ackPolicy: "nack_on_error" }).handle((b) => {
      const { n } = b as { n: number };
      seen.push(n);
      if (n === 1 && failures++ < 2) throw new Error("transient");
    });
    await broker.start();
    for (const n of [0, 1, 2]) await broker.publish({ n }, t);
    expect(await seen.waitFor(5)).toEqual([0, 1, 1, 1, 2]);
  });

  it("a message whose handler did not finish before shutdown is redelivered (at-least-once)", async () => {
    const t = await ctx.topic();
    const group = uniqueName("g");
    const broker = await ctx.broker({ gracefulTimeoutMs: 300 });
    const started = new Collector<number>();
    const hold = gate();
    broker.subscriber(t, { ...fastConsumer, groupId: group }).handle(async (b) => {
      started.push((b as { n: number }).n);
      await hold.promise;
    });
    await broker.start();
    await broker.publish({ n: 7 }, t);
    await started.waitFor(1);
    await broker.stop();
    hold.open();
    const again = await consumer(t, group);
    expect(await again.got.waitFor(1)).toEqual([7]);
  });

  it("ack_first commits before handling: an unfinished message is not redelivered", async () => {
    const t = await ctx.topic();
    const group = uniqueName("g");
    const broker = await ctx.broker({ gracefulTimeoutMs: 300 });
    const started = new Collector<number>();
    const hold = gate();
    broker.subscriber(t, { ...fastConsumer, groupId: group, ackPolicy: "ack_first" }).handle(async (b) => {
      started.push((b as { n: number }).n);
      await hold.promise;
    });
    await broker.start();
    await broker.publish({ n: 1 }, t);
    await started.waitFor(1);
    await broker.stop();
    hold.open();
    const again = await consumer(t, group);
    await again.broker.publish({ n: 2 }, t);
    expect(await again.got.waitFor(1)).toEqual([2]);
  });

  it("manual: an unsettled message holds back the commit; acked ones after it are redelivered too", async () => {
    const t = await ctx.topic();
    const group = uniqueName("g");
    const broker = await ctx.broker();
    const seen = new Collector<number>();
    broker.subscriber(t, { ...fastConsumer, groupId: group, ackPolicy: "manual" }).handle((b, message) => {
      const { n } = b as { n: number };
      seen.push(n);
      if (n !== 1) message.ack();
    });
    await broker.start();
    for (const n of [0, 1, 2]) await broker.publish({ n }, t);
    await seen.waitFor(3);
    await broker.stop();
    const again = await consumer(t, group);
    expect(await again.got.waitFor(2)).toEqual([1, 2]);
  });

  it("control-flow errors: Nack redelivers, Reject and Ack settle, Skip publishes nothing", async () => {
    const [t, out] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    const seen = new Collector<string>();
    let nacked = false;
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" })
      .publisher(out)
      .handle((cmd) => {
        seen.push(cmd);
        if (cmd === "nack" && !nacked) {
          nacked = true;
          throw new NackMessage();
        }
        if (cmd === "reject") throw new RejectMessage();
        if (cmd === "ack") throw new AckMessage();
        if (cmd === "skip") throw new SkipMessage();
        return `done:${cmd}`;
      });
    const results = new Collector<string>();
    broker.subscriber(out, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" }).handle((r) => {
      results.push(r);
    });
    await broker.start();
    for (const cmd of ["nack", "reject", "ack", "skip", "plain"]) await broker.publish(cmd, t);
    expect(await seen.waitFor(6)).toEqual(["nack", "nack", "reject", "ack", "skip", "plain"]);
    expect(await results.waitFor(2)).toEqual(["done:nack", "done:plain"]);
  });

  it("StopConsume stops the subscriber after the current message", async () => {
    const t = await ctx.topic();
    const broker: KafkaBrokerBase = await ctx.broker();
    const seen = new Collector<number>();
    const sub = broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g") });
    sub.handle((b) => {
      const { n } = b as { n: number };
      seen.push(n);
      if (n === 1) throw new StopConsume();
    });
    await broker.start();
    for (const n of [0, 1, 2, 3]) await broker.publish({ n }, t);
    await seen.waitFor(2);
    await expect.poll(() => sub.running, { timeout: 10_000 }).toBe(false);
    expect(seen.items).toEqual([0, 1]);
  });

  it("message.ack() inside the handler settles it even if the handler then fails (nack_on_error)", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    const seen = new Collector<number>();
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), ackPolicy: "nack_on_error" })
      .handle((b, message) => {
        const { n } = b as { n: number };
        seen.push(n);
        message.ack();
        if (n === 0) throw new Error("after ack");
      });
    await broker.start();
    for (const n of [0, 1]) await broker.publish({ n }, t);
    expect(await seen.waitFor(2)).toEqual([0, 1]);
  });
}
