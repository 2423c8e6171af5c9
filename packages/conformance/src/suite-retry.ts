import { DeadLetterHeader } from "@faststream/kafka";
import { expect, it } from "vitest";
import { z } from "zod";
import { fastConsumer, type SuiteContext } from "./context.js";
import { Collector, uniqueName } from "./env.js";

class Transient extends Error {
  override name = "Transient";
}

interface Dead {
  body: string;
  key: string | undefined;
  headers: Record<string, unknown>;
}

/** Retries with backoff, dead-letter topics, poison messages, size limits. */
export function retryCases(ctx: SuiteContext): void {
  async function deadLetters(broker: Awaited<ReturnType<SuiteContext["broker"]>>, topic: string) {
    const got = new Collector<Dead>();
    broker.subscriber(topic, { ...fastConsumer, groupId: uniqueName("dlt"), codec: "bytes" }).handle((body, m) => {
      got.push({ body: String(body), key: m.keyText, headers: { ...m.headers } });
    });
    return got;
  }

  it("retries a failing handler with backoff until it succeeds", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    const calls = new Collector<number>();
    let failures = 0;
    broker
      .subscriber(t, {
        ...fastConsumer,
        groupId: uniqueName("g"),
        retry: { maxAttempts: 3, backoff: { kind: "fixed", delayMs: 20 } },
      })
      .handle((b) => {
        const { n } = b as { n: number };
        calls.push(n);
        if (n === 0 && failures++ < 2) throw new Transient("flaky");
      });
    await broker.start();
    for (const n of [0, 1]) await broker.publish({ n }, t);
    expect(await calls.waitFor(4)).toEqual([0, 0, 0, 1]);
  });

  it("after the last attempt the message goes to the dead-letter topic with why, and the partition moves on", async () => {
    const [t, dlt] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    const dead = await deadLetters(broker, dlt);
    const handled = new Collector<number>();
    broker
      .subscriber(t, {
        ...fastConsumer,
        groupId: uniqueName("g"),
        retry: { maxAttempts: 2, backoff: { kind: "exponential", initialMs: 10, maxMs: 50 } },
        deadLetter: dlt,
      })
      .handle((b) => {
        const { n } = b as { n: number };
        if (n === 0) throw new Transient("always failing");
        handled.push(n);
      });
    await broker.start();
    await broker.publish({ n: 0 }, t, { key: "k0", headers: { trace: "t-1" } });
    await broker.publish({ n: 1 }, t, { key: "k1" });
    expect(await handled.waitFor(1)).toEqual([1]);
    const [d] = await dead.waitFor(1);
    expect(JSON.parse(d!.body)).toEqual({ n: 0 });
    expect(d!.key).toBe("k0");
    expect(d!.headers).toMatchObject({
      trace: "t-1",
      [DeadLetterHeader.errorClass]: "Transient",
      [DeadLetterHeader.errorMessage]: "always failing",
      [DeadLetterHeader.topic]: t,
      [DeadLetterHeader.partition]: "0",
      [DeadLetterHeader.offset]: "0",
      [DeadLetterHeader.attempts]: "2",
    });
    expect(Number(d!.headers[DeadLetterHeader.failedAt])).toBeGreaterThanOrEqual(
      Number(d!.headers[DeadLetterHeader.timestamp]),
    );
  });

  it("retryOn limits retries to the listed error classes", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    const calls = new Collector<string>();
    broker
      .subscriber(t, {
        ...fastConsumer,
        groupId: uniqueName("g"),
        codec: "string",
        retry: { maxAttempts: 3, backoff: { kind: "fixed", delayMs: 1 }, retryOn: [Transient] },
      })
      .handle((kind) => {
        calls.push(kind);
        throw kind === "transient" ? new Transient("again") : new TypeError("bug");
      });
    await broker.start();
    await broker.publish("bug", t);
    await broker.publish("transient", t);
    await broker.publish("end", t);
    expect(await calls.waitFor(5)).toEqual(["bug", "transient", "transient", "transient", "end"]);
  });

  it("poison messages (bad JSON, schema failures, oversized bodies) go straight to the dead-letter topic", async () => {
    const [t, dlt] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    const dead = await deadLetters(broker, dlt);
    const handled = new Collector<number>();
    broker
      .subscriber(t, {
        ...fastConsumer,
        groupId: uniqueName("g"),
        schema: z.object({ n: z.number() }),
        codec: "json",
        maxBodyBytes: 64,
        retry: { maxAttempts: 5, backoff: { kind: "fixed", delayMs: 1_000 } },
        deadLetter: { topic: dlt },
      })
      .handle(({ n }) => {
        handled.push(n);
      });
    await broker.start();
    await broker.publish("{oops", t, { codec: "string" });
    await broker.publish({ n: "not a number" }, t);
    await broker.publish({ n: 1, pad: "x".repeat(100) }, t);
    await broker.publish({ n: 2 }, t);
    expect(await handled.waitFor(1)).toEqual([2]);
    const reasons = (await dead.waitFor(3)).map((d) => [
      d.headers[DeadLetterHeader.errorClass],
      d.headers[DeadLetterHeader.attempts],
    ]);
    expect(reasons).toEqual([
      ["DecodeError", "1"],
      ["ValidationError", "1"],
      ["DecodeError", "1"],
    ]);
    expect(String(dead.items[2]!.headers[DeadLetterHeader.errorMessage])).toContain("maxBodyBytes");
  });

  it("if dead-lettering fails the message is redelivered, not lost", async () => {
    const [t, dlt] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    let refuse = true;
    broker.use({
      publish: async (next, call) => {
        if (call.topic === dlt && refuse) {
          refuse = false;
          throw new Error("dead-letter topic unavailable");
        }
        return next();
      },
    });
    const dead = await deadLetters(broker, dlt);
    const calls = new Collector<number>();
    broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), deadLetter: dlt }).handle((b) => {
      calls.push((b as { n: number }).n);
      throw new Transient("fails");
    });
    await broker.start();
    await broker.publish({ n: 5 }, t);
    expect(await calls.waitFor(2)).toEqual([5, 5]);
    const [d] = await dead.waitFor(1);
    expect(JSON.parse(d!.body)).toEqual({ n: 5 });
  });
}
