import { ValidationError } from "@faststream/core";
import { KafkaMessage, partitionForKey } from "@faststream/kafka";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type KafkaSuiteDefinition, fastConsumer, type SuiteContext, suiteContext } from "./context.js";
import { CapturingLogger, Collector, uniqueName } from "./env.js";
import { ackCases } from "./suite-ack.js";
import { concurrencyCases } from "./suite-concurrency.js";
import { publishingCases } from "./suite-publishing.js";
import { requestCases } from "./suite-requests.js";
import { retryCases } from "./suite-retry.js";
import { routingCases } from "./suite-routing.js";
import { subscriberCases } from "./suite-subscribers.js";

export { fastConsumer, type KafkaSuiteDefinition };

export const User = z.object({ user: z.string(), user_id: z.number().int() });

/**
 * Registers the conformance suite for one transport. Every case publishes real messages and
 * asserts what handlers received; the same definitions run on every transport.
 */
export function defineKafkaSuite(def: KafkaSuiteDefinition): void {
  const ctx = suiteContext(def);
  describe(`conformance: ${def.name}`, () => {
    describe("basics", () => basicCases(ctx));
    describe("subscribers", () => subscriberCases(ctx));
    describe("acknowledgement", () => ackCases(ctx));
    describe("publishing", () => publishingCases(ctx));
    describe("routing and middleware", () => routingCases(ctx));
    describe("concurrency and batches", () => concurrencyCases(ctx));
    describe("requests, dynamic and pull subscribers, health", () => requestCases(ctx));
    describe("retries and dead letters", () => retryCases(ctx));
  });
}

function basicCases(ctx: SuiteContext): void {
  it("round-trips a JSON body with key and headers (text and binary)", async () => {
    const b = await ctx.broker();
    const t = await ctx.topic();
    const got = new Collector<{ body: unknown; message: KafkaMessage<unknown> }>();
    b.subscriber(t, { ...fastConsumer, groupId: uniqueName("g") }).handle((body, message) => {
      got.push({ body, message });
    });
    await b.start();
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    const meta = await b.publish({ hello: "world", n: 42, nested: { ok: true } }, t, {
      key: "user-1",
      headers: { "x-trace": "abc-123", "x-bin": binary },
      correlationId: "corr-1",
    });
    expect(meta.topic).toBe(t);
    const [{ body, message }] = (await got.waitFor(1)) as [{ body: unknown; message: KafkaMessage<unknown> }];
    expect(body).toEqual({ hello: "world", n: 42, nested: { ok: true } });
    expect(message).toBeInstanceOf(KafkaMessage);
    expect(message.keyText).toBe("user-1");
    expect([message.topic, message.partition, message.offset]).toEqual([t, 0, 0]);
    expect(message.headers["x-trace"]).toBe("abc-123");
    expect(Buffer.isBuffer(message.headers["x-bin"])).toBe(true);
    expect(Buffer.compare(message.headers["x-bin"] as Buffer, binary)).toBe(0);
    expect(message.headers["content-type"]).toBe("application/json");
    expect(message.correlationId).toBe("corr-1");
    expect(Math.abs(message.timestamp.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("keeps headers named __proto__ or constructor as plain headers (text and binary)", async () => {
    const b = await ctx.broker();
    const t = await ctx.topic();
    const got = new Collector<KafkaMessage<unknown>>();
    b.subscriber(t, { ...fastConsumer, groupId: uniqueName("g") }).handle((_body, message) => {
      got.push(message);
    });
    await b.start();
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    // Own properties, as a wire header of that name is (an object literal's __proto__ is not one).
    const textHeaders = JSON.parse('{"__proto__":"text-value","constructor":"c"}') as Record<string, string>;
    const binaryHeaders: Record<string, Buffer> = {};
    Object.defineProperty(binaryHeaders, "__proto__", { value: binary, enumerable: true });
    await b.publish(1, t, { headers: textHeaders });
    await b.publish(2, t, { headers: binaryHeaders });
    const [first, second] = (await got.waitFor(2)).sort((x, y) => x.offset - y.offset);
    for (const m of [first!, second!]) {
      expect(Object.getPrototypeOf(m.headers)).toBe(Object.prototype);
      expect(Object.hasOwn(m.headers, "__proto__")).toBe(true);
      expect(m.headers["content-type"]).toBe("application/json");
    }
    expect(first!.headers["__proto__"]).toBe("text-value");
    expect(first!.headers["constructor"]).toBe("c");
    expect(Buffer.compare(second!.headers["__proto__"] as Buffer, binary)).toBe(0);
  });

  it("rejects a body that fails the schema with a clear error, and keeps consuming", async () => {
    const logger = new CapturingLogger();
    const b = await ctx.broker({ logger });
    const t = await ctx.topic();
    const got = new Collector<{ user: string; user_id: number }>();
    b.subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), schema: User }).handle((body) => {
      got.push(body);
    });
    await b.start();
    await b.publish({ user: "John" }, t);
    await b.publish("{not json", t);
    await b.publish({ user: "Jane", user_id: 2 }, t);
    expect(await got.waitFor(1)).toEqual([{ user: "Jane", user_id: 2 }]);
    const errors = logger.lines.filter((l) => l.level === "error");
    expect(errors).toHaveLength(2);
    const [first, second] = errors as [(typeof errors)[0], (typeof errors)[0]];
    expect(first.fields).toMatchObject({
      topic: t,
      partition: 0,
      offset: 0,
      code: "VALIDATION",
      messageId: `${t}-0-0`,
    });
    expect(first.fields["group"]).toBeTypeOf("string");
    expect(first.message).toContain("user_id");
    expect(first.message).toContain(`${t}[0]@0`);
    expect(second.fields).toMatchObject({ topic: t, partition: 0, offset: 1 });
    expect(got.items).toHaveLength(1);
    expect(
      new ValidationError({ topic: t, partition: 0, offset: 0 }, [{ path: "user_id", message: "Required" }]).message,
    ).toContain("user_id: Required");
  });

  it("publishes the handler's return value to its publisher's topic", async () => {
    const b = await ctx.broker();
    const input = await ctx.topic();
    const output = await ctx.topic();
    const out = new Collector<{ body: unknown; correlationId: string }>();
    b.subscriber(input, { ...fastConsumer, groupId: uniqueName("g"), schema: User })
      .publisher(output)
      .handle(({ user, user_id }) => `User: ${user_id} - ${user} registered`);
    b.subscriber(output, { ...fastConsumer, groupId: uniqueName("g") }).handle((body, msg) => {
      out.push({ body, correlationId: msg.correlationId });
    });
    await b.start();
    await b.publish({ user: "John", user_id: 1 }, input, { correlationId: "c-42" });
    expect(await out.waitFor(1)).toEqual([{ body: "User: 1 - John registered", correlationId: "c-42" }]);
  });

  it("publishes through a publisher decorator on a class method", async () => {
    const b = await ctx.broker();
    const input = await ctx.topic();
    const output = await ctx.topic();
    const out = new Collector<unknown>();
    class Handlers {
      prefix = "hello";
      @b.subscriber(input, { ...fastConsumer, groupId: uniqueName("g"), schema: User })
      @b.publisher(output)
      greet({ user }: { user: string }): string {
        return `${this.prefix} ${user}`;
      }
    }
    new Handlers();
    b.subscriber(output, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" }).handle((body) => {
      out.push(body);
    });
    await b.start();
    await b.publish({ user: "Ann", user_id: 7 }, input);
    expect(await out.waitFor(1)).toEqual(["hello Ann"]);
  });

  it("shares a 3-partition topic between two subscribers of one group", async () => {
    const t = await ctx.topic(3);
    const group = uniqueName("g");
    const got = new Collector<{ member: number; key: string; partition: number }>();
    const brokers = [await ctx.broker(), await ctx.broker()];
    brokers.forEach((b, member) => {
      b.subscriber(t, { ...fastConsumer, groupId: group }).handle((_body, msg) => {
        got.push({ member, key: msg.keyText ?? "", partition: msg.partition });
      });
    });
    await brokers[0]!.start();
    // start() resolves once the member got its assignment, so the rebalance is complete.
    await brokers[1]!.start();
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    expect(new Set(keys.map((k) => partitionForKey(k, 3))).size).toBe(3);
    await Promise.all(keys.map((key) => brokers[0]!.publish({ key }, t, { key })));
    const items = await got.waitFor(keys.length, 30_000);
    expect(items.map((x) => x.key).sort()).toEqual([...keys].sort());
    const p0 = new Set(items.filter((x) => x.member === 0).map((x) => x.partition));
    const p1 = new Set(items.filter((x) => x.member === 1).map((x) => x.partition));
    expect(p0.size).toBeGreaterThan(0);
    expect(p1.size).toBeGreaterThan(0);
    expect([...p0].filter((p) => p1.has(p))).toEqual([]);
  });

  it("delivers every message to each of two groups", async () => {
    const t = await ctx.topic(3);
    const b = await ctx.broker();
    const a = new Collector<number>();
    const c = new Collector<number>();
    b.subscriber(t, { ...fastConsumer, groupId: uniqueName("ga") }).handle((body) => {
      a.push((body as { n: number }).n);
    });
    b.subscriber(t, { ...fastConsumer, groupId: uniqueName("gb") }).handle((body) => {
      c.push((body as { n: number }).n);
    });
    await b.start();
    const ns = Array.from({ length: 20 }, (_, i) => i);
    await Promise.all(ns.map((n) => b.publish({ n }, t, { key: `k${n}` })));
    expect((await a.waitFor(20)).sort((x, y) => x - y)).toEqual(ns);
    expect((await c.waitFor(20)).sort((x, y) => x - y)).toEqual(ns);
  });

  it("puts the same key on the same partition as Kafka's murmur2 partitioner", async () => {
    const t = await ctx.topic(3);
    const b = await ctx.broker();
    const got = new Collector<{ key: string; partition: number }>();
    b.subscriber(t, { ...fastConsumer, groupId: uniqueName("g") }).handle((_body, msg) => {
      got.push({ key: msg.keyText ?? "", partition: msg.partition });
    });
    await b.start();
    const keys = Array.from({ length: 24 }, (_, i) => `customer-${i * 7919}`);
    for (const key of keys) await b.publish({ key }, t, { key });
    for (const key of keys.slice(0, 6)) await b.publish({ key, again: true }, t, { key });
    const items = await got.waitFor(keys.length + 6);
    for (const { key, partition } of items) expect(partition, key).toBe(partitionForKey(key, 3));
  });
}
