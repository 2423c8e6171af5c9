import { EncodeError, PublishError } from "@faststream/core";
import { KafkaResponse, partitionForKey } from "@faststream/kafka";
import { expect, it } from "vitest";
import { fastConsumer, type SuiteContext } from "./context.js";
import { CapturingLogger, Collector, uniqueName } from "./env.js";

interface Seen {
  body: unknown;
  key: string | undefined;
  headers: Record<string, unknown>;
  correlationId: string;
  partition: number;
  raw: Buffer | null;
}

export function publishingCases(ctx: SuiteContext): void {
  async function sink(
    broker: Awaited<ReturnType<SuiteContext["broker"]>>,
    topic: string,
    codec: "auto" | "bytes" = "auto",
  ) {
    const got = new Collector<Seen>();
    broker.subscriber(topic, { ...fastConsumer, groupId: uniqueName("g"), codec }).handle((body, m) => {
      got.push({
        body,
        key: m.keyText,
        headers: { ...m.headers },
        correlationId: m.correlationId,
        partition: m.partition,
        raw: m.rawBody,
      });
    });
    return got;
  }

  it("a KafkaResponse sets key, headers and correlation id of the published result", async () => {
    const [t, out] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g") })
      .publisher(out)
      .handle(
        (b) => new KafkaResponse({ echo: b }, { key: "resp-key", headers: { "x-v": "2" }, correlationId: "resp-corr" }),
      );
    const got = await sink(broker, out);
    await broker.start();
    await broker.publish({ q: 1 }, t);
    const [r] = await got.waitFor(1);
    expect(r).toMatchObject({ body: { echo: { q: 1 } }, key: "resp-key", correlationId: "resp-corr" });
    expect(r!.headers["x-v"]).toBe("2");
  });

  it("one publisher serves several handlers; publisher defaults apply and per-call options win", async () => {
    const [a, b, out] = [await ctx.topic(), await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    const shared = broker.publisher(out, { headers: { source: "shared" }, key: "default-key" });
    broker
      .subscriber(a, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" })
      .handle(shared((x: string) => `a:${x}`));
    broker
      .subscriber(b, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" })
      .handle(shared((x: string) => `b:${x}`));
    const got = await sink(broker, out);
    await broker.start();
    await broker.publish("1", a);
    await broker.publish("2", b);
    await shared.publish("direct", { key: "k2", headers: { extra: "yes" } });
    const items = await got.waitFor(3);
    expect(items.map((i) => i.body).sort()).toEqual(["a:1", "b:2", "direct"]);
    for (const i of items) expect(i.headers["source"]).toBe("shared");
    const direct = items.find((i) => i.body === "direct")!;
    expect(direct.key).toBe("k2");
    expect(direct.headers["extra"]).toBe("yes");
    expect(items.find((i) => i.body === "a:1")!.key).toBe("default-key");
  });

  it("null with a key publishes a tombstone", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    const got = await sink(broker, t, "bytes");
    await broker.start();
    await broker.publish(null, t, { key: "gone" });
    const [r] = await got.waitFor(1);
    expect(r).toMatchObject({ body: null, key: "gone", raw: null });
  });

  it("a record over maxRecordBytes fails its own publish with a PublishError naming the topic", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    const got = await sink(broker, t, "bytes");
    await broker.start();
    // Over the default limit (1 MiB, Kafka brokers' default), which librdkafka would also refuse.
    const tooBig = Buffer.alloc(2 * 1024 * 1024, 1);
    const [refused, after] = await Promise.allSettled([
      broker.publish(tooBig, t),
      broker.publish(Buffer.from("after"), t),
    ]);
    expect(refused.status).toBe("rejected");
    const err = (refused as PromiseRejectedResult).reason as Error;
    expect(err).toBeInstanceOf(PublishError);
    expect(err.message).toContain(t);
    expect(err.message).toContain("maxRecordBytes");
    expect(after.status).toBe("fulfilled");
    const [batchTooBig, batchOk] = await broker.publishBatch([{ body: tooBig }, { body: Buffer.from("batch") }], t);
    expect(batchTooBig!.ok).toBe(false);
    expect(!batchTooBig!.ok && batchTooBig!.error).toBeInstanceOf(PublishError);
    expect(batchOk!.ok).toBe(true);
    const seen = await got.waitFor(2);
    expect(seen.map((r) => r.raw?.toString()).sort()).toEqual(["after", "batch"]);
  });

  it("more publishes at once than the client queues (librdkafka: 100,000) all land, in publish order", async () => {
    const t = await ctx.topic(1);
    const broker = await ctx.broker();
    await broker.start();
    const n = 120_000;
    const metas = await Promise.all(Array.from({ length: n }, (_, i) => broker.publish(String(i), t)));
    const offsets = metas.map((m) => Number(m.offset));
    const outOfOrder = offsets.findIndex((o, i) => i > 0 && o !== offsets[i - 1]! + 1);
    expect(outOfOrder).toBe(-1);
  }, 60_000);

  it("noConfirm publishes land in publish order, bounded by maxUnconfirmed; flush() waits for them", async () => {
    const t = await ctx.topic(1);
    const broker = await ctx.broker({ maxUnconfirmed: 500 });
    const got = await sink(broker, t, "bytes");
    await broker.start();
    const n = 3_000;
    let waited = 0;
    for (let i = 0; i < n; i++) {
      const accepted = broker.publish(String(i), t, { noConfirm: true });
      // Past 500 unacknowledged, the call waits for room instead of queuing without bound.
      let done = false;
      void accepted.then(() => (done = true));
      await Promise.resolve();
      if (!done) waited++;
      await accepted;
    }
    await broker.flush();
    expect(waited).toBeGreaterThan(0);
    // Every unconfirmed record was acknowledged before flush() resolved: the next one lands after them.
    const last = await broker.publish("last", t);
    expect(last.offset).toBe(String(n));
    const seen = await got.waitFor(n + 1);
    expect(seen.map((r) => r.raw?.toString())).toEqual([...Array.from({ length: n }, (_, i) => String(i)), "last"]);
  });

  it("a noConfirm publish that fails is logged and reported by the next flush, not lost", async () => {
    const t = await ctx.topic(1);
    const logger = new CapturingLogger();
    const broker = await ctx.broker({ logger });
    await broker.start();
    // The topic has one partition: a record for partition 5 cannot be delivered.
    await expect(broker.publish("lost", t, { noConfirm: true, partition: 5 })).resolves.toBeUndefined();
    const err = await broker.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).topic).toBe(t);
    expect((err as Error).message).toContain("1 unconfirmed publish failed");
    const logged = logger.lines.filter((l) => l.level === "error" && l.message.includes("unconfirmed publish failed"));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields["topic"]).toBe(t);
    // Reported once; later publishes go on.
    await expect(broker.flush()).resolves.toBeUndefined();
    await broker.publish("kept", t, { noConfirm: true });
    await expect(broker.flush()).resolves.toBeUndefined();
  }, 60_000);

  it("a raised maxRecordBytes lets a record bigger than 1 MiB through on every adapter", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker({ maxRecordBytes: 3 * 1024 * 1024 });
    const got = await sink(broker, t, "bytes");
    await broker.start();
    const big = Buffer.alloc(2 * 1024 * 1024, 7);
    await broker.publish(big, t);
    const [r] = await got.waitFor(1);
    expect(r!.raw?.equals(big)).toBe(true);
  });

  it("publishes a batch with per-message keys and reports a bad message on its own", async () => {
    const t = await ctx.topic(3);
    const broker = await ctx.broker();
    const got = await sink(broker, t);
    await broker.start();
    const items = [
      { body: { n: 0 }, key: "alpha" },
      { body: { n: 1, bad: 10n }, key: "beta" },
      { body: { n: 2 }, key: "gamma" },
      { body: { n: 3 }, key: "alpha", headers: { h: "v" } },
    ];
    const results = await broker.publishBatch(items, t);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true]);
    const failed = results[1]!;
    expect(!failed.ok && failed.error).toBeInstanceOf(EncodeError);
    const seen = await got.waitFor(3);
    expect(seen.map((s) => (s.body as { n: number }).n).sort()).toEqual([0, 2, 3]);
    for (const s of seen) expect(s.partition).toBe(partitionForKey(s.key!, 3));
    expect(seen.find((s) => (s.body as { n: number }).n === 3)!.headers["h"]).toBe("v");
  });

  it("a batch subscriber with a batch publisher turns each batch into one message per result, in order", async () => {
    const [t, out] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    const batches: number[] = [];
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), batch: true })
      .publisher(out, { batch: true })
      .handle((bodies) => {
        batches.push(bodies.length);
        return (bodies as { n: number }[]).map((b) =>
          b.n === 7 ? new KafkaResponse({ m: 70 }, { key: "seven" }) : { m: b.n * 10 },
        );
      });
    const got = await sink(broker, out);
    await broker.start();
    const results = await broker.publishBatch(
      Array.from({ length: 20 }, (_, n) => ({ body: { n } })),
      t,
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const seen = await got.waitFor(20);
    expect(seen.map((s) => s.body)).toEqual(Array.from({ length: 20 }, (_, n) => ({ m: n * 10 })));
    expect(seen.map((s) => s.key).filter((k) => k !== undefined)).toEqual(["seven"]);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(20);
  });

  it("replies to a reply_to topic with the incoming correlation id", async () => {
    const [t, replies] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker();
    broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" }).handle((x) => x.toUpperCase());
    const got = await sink(broker, replies);
    await broker.start();
    await broker.publish("ping", t, { replyTo: replies, correlationId: "rq-1" });
    const [r] = await got.waitFor(1);
    expect(r).toMatchObject({ body: "PING", correlationId: "rq-1" });
  });

  it("frameworkHeaders minimal: records carry the user's headers and request/reply's only", async () => {
    const [t, out, svc] = [await ctx.topic(), await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker({ frameworkHeaders: "minimal", replyTopic: uniqueName("replies") });
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g") })
      .publisher(out)
      .handle((b) => ({ echo: b }));
    broker
      .subscriber(svc, { ...fastConsumer, groupId: uniqueName("g") })
      .handle((b) => ({ sum: (b as number[])[0]! + 1 }));
    const got = await sink(broker, out);
    await broker.start();
    await broker.publish({ q: 1 }, t, { headers: { "x-h": "v" } });
    await broker.publish({ q: 2 }, t, { correlationId: "c-2" });
    const seen = (await got.waitFor(2)).sort((a, b) => JSON.stringify(a.body).localeCompare(JSON.stringify(b.body)));
    // JSON comes back as JSON without a content-type (the auto codec infers it).
    expect(seen.map((s) => [s.body, s.headers])).toEqual([
      [{ echo: { q: 1 } }, {}],
      [{ echo: { q: 2 } }, { correlation_id: "c-2" }],
    ]);
    const reply = await broker.request([41], svc, { timeoutMs: 20_000 });
    expect(reply.body).toEqual({ sum: 42 });
    expect(Object.keys(reply.headers)).toEqual(["correlation_id"]);
  });
}
