import { SetupError } from "@faststream/core";
import type { TopicPartition } from "@faststream/kafka";
import { expect, it } from "vitest";
import { z } from "zod";
import { fastConsumer, type SuiteContext } from "./context.js";
import { CapturingLogger, Collector, uniqueName } from "./env.js";

export function subscriberCases(ctx: SuiteContext): void {
  it("reads several topics with one handler", async () => {
    const [a, b] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    const got = new Collector<string>();
    broker.subscriber([a, b], { ...fastConsumer, groupId: uniqueName("g"), codec: "string" }).handle((body, m) => {
      got.push(`${m.topic}:${body}`);
    });
    await broker.start();
    await broker.publish("x", a);
    await broker.publish("y", b);
    expect((await got.waitFor(2)).sort()).toEqual([`${a}:x`, `${b}:y`].sort());
  });

  it("exposes typed {name} path parameters of a topic template", async () => {
    const base = uniqueName("orders").replace(/-/g, "_");
    const eu = `${base}.eu.created`;
    const us = `${base}.us.created`;
    const other = `${base}.eu.deleted`;
    const broker = await ctx.broker();
    for (const t of [eu, us, other]) await createNamed(ctx, t);
    const got = new Collector<{ region: string; body: unknown }>();
    broker
      .subscriber(`${base}.{region}.created`, { ...fastConsumer, groupId: uniqueName("g") })
      .handle((body, message) => {
        const region: string = message.params.region;
        got.push({ region, body });
      });
    await broker.start();
    await broker.publish({ n: 0 }, other);
    await broker.publish({ n: 1 }, eu);
    await broker.publish({ n: 2 }, us);
    const items = await got.waitFor(2, 30_000);
    expect(items.map((i) => i.region).sort()).toEqual(["eu", "us"]);
    expect(items.map((i) => i.body)).not.toContainEqual({ n: 0 });
  });

  it("subscribes by RegExp", async () => {
    const base = uniqueName("re").replace(/-/g, "_");
    for (const t of [`${base}.a`, `${base}.b`, `${base}x`]) await createNamed(ctx, t);
    const broker = await ctx.broker();
    const got = new Collector<string>();
    broker
      .subscriber(new RegExp(`${base}\\.[a-z]`), { ...fastConsumer, groupId: uniqueName("g"), codec: "string" })
      .handle((body, m) => {
        got.push(`${m.topic}:${body}`);
      });
    await broker.start();
    await broker.publish("no", `${base}x`);
    await broker.publish("1", `${base}.a`);
    await broker.publish("2", `${base}.b`);
    expect((await got.waitFor(2, 30_000)).sort()).toEqual([`${base}.a:1`, `${base}.b:2`]);
  });

  it("reads exactly the partitions assigned manually", async () => {
    const t = await ctx.topic(3);
    const broker = await ctx.broker();
    const got = new Collector<number>();
    broker.subscriber({ partitions: [{ topic: t, partition: 1 }] }, { ...fastConsumer }).handle((_b, m) => {
      got.push(m.partition);
    });
    await broker.start();
    for (const partition of [0, 1, 2, 1]) await broker.publish({ partition }, t, { partition });
    expect(await got.waitFor(2)).toEqual([1, 1]);
    await broker.publish({ last: true }, t, { partition: 1 });
    expect(await got.waitFor(3)).toEqual([1, 1, 1]);
  });

  it("rejects a mixed or missing destination and unknown options with a SetupError naming them", async () => {
    const broker = await ctx.broker();
    const t = await ctx.topic();
    const err = (fn: () => unknown): SetupError => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(SetupError);
        return e as SetupError;
      }
      throw new Error("expected a SetupError");
    };
    expect(err(() => broker.subscriber([])).option).toBe("topics");
    expect(err(() => broker.subscriber({ partitions: [], topics: [t] } as never)).option).toBe("topics");
    expect(err(() => broker.subscriber("bad topic!")).option).toBe("topics");
    expect(err(() => broker.subscriber(t, { groupid: "x" } as never)).option).toBe("groupid");
    expect(err(() => broker.subscriber(t, { sessionTimeoutMs: 3000, heartbeatIntervalMs: 2000 })).option).toBe(
      "heartbeatIntervalMs",
    );
    expect(err(() => broker.subscriber(t, { ackPolicy: "sometimes" as never })).option).toBe("ackPolicy");
    expect(err(() => broker.subscriber(t, { maxWorkers: 0 })).option).toBe("maxWorkers");
  });

  it.runIf(!ctx.caps.staticMembership)(
    "refuses groupInstanceId where the client has no static membership",
    async () => {
      const broker = await ctx.broker();
      expect(() => broker.subscriber(uniqueName("t"), { groupId: "g", groupInstanceId: "i-1" })).toThrow(SetupError);
    },
  );

  it.runIf(ctx.caps.staticMembership)("accepts groupInstanceId (static membership) and consumes", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    const got = new Collector<unknown>();
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), groupInstanceId: uniqueName("i") })
      .handle((b) => {
        got.push(b);
      });
    await broker.start();
    await broker.publish({ ok: 1 }, t);
    expect(await got.waitFor(1)).toEqual([{ ok: 1 }]);
  });

  it("calls the onAssigned hook with the partitions", async () => {
    const t = await ctx.topic(2);
    const broker = await ctx.broker();
    const assigned = new Collector<readonly TopicPartition[]>();
    broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), onAssigned: assigned.push }).handle(() => {});
    await broker.start();
    const [first] = await assigned.waitFor(1);
    expect([...first!].map((p) => p.partition).sort()).toEqual([0, 1]);
  });

  it("routes messages to handlers by filter, with a fallback, and reports unmatched ones", async () => {
    const Event = z.object({ type: z.string(), n: z.number() });
    const [t, t2] = [await ctx.topic(), await ctx.topic()];
    const logger = new CapturingLogger();
    const broker = await ctx.broker({ logger });
    const got = new Collector<string>();
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), schema: Event })
      .handle((e) => got.push(`created:${e.n}`), { filter: (m) => m.body.type === "created" })
      .handle((e) => got.push(`deleted:${e.n}`), { filter: (m) => m.body.type === "deleted" })
      .handle((e) => got.push(`other:${e.n}`));
    const strict = new Collector<number>();
    broker
      .subscriber(t2, { ...fastConsumer, groupId: uniqueName("g"), schema: Event })
      .handle((e) => strict.push(e.n), { filter: (m) => m.body.type === "only" });
    await broker.start();
    for (const [type, n] of [
      ["created", 1],
      ["deleted", 2],
      ["updated", 3],
      ["created", 4],
    ] as const) {
      await broker.publish({ type, n }, t);
    }
    expect(await got.waitFor(4)).toEqual(["created:1", "deleted:2", "other:3", "created:4"]);
    await broker.publish({ type: "nope", n: 1 }, t2);
    await broker.publish({ type: "only", n: 2 }, t2);
    expect(await strict.waitFor(1)).toEqual([2]);
    const unmatched = await logger.waitFor((l) => l.fields["code"] === "NO_HANDLER");
    expect(unmatched.fields).toMatchObject({ topic: t2, partition: 0, offset: 0 });
  });
}

async function createNamed(ctx: SuiteContext, name: string): Promise<void> {
  await ctx.createTopic(name, 1);
}
