import { PublishError } from "@faststream/core";
import { CapturingLogger, testCluster, uniqueName } from "@faststream/conformance";
import { type DriverConfig, NO_METADATA, type OutgoingRecord, type RecordMetadata } from "@faststream/kafka";
import { afterEach, describe, expect, it } from "vitest";
import { ConfluentProducer } from "../src/producer.js";

const producers: ConfluentProducer[] = [];

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.disconnect()));
});

async function setup(
  overrides: Record<string, number | boolean> = {},
): Promise<{ producer: ConfluentProducer; topic: string }> {
  const cluster = await testCluster();
  const topic = uniqueName("producer");
  await cluster.createTopic(topic, 1);
  const config: DriverConfig = {
    brokers: cluster.brokers.split(","),
    clientId: uniqueName("producer-test"),
    logger: new CapturingLogger(),
    connectTimeoutMs: 3_000,
    requestTimeoutMs: 10_000,
  };
  const producer = new ConfluentProducer(config, overrides);
  await producer.connect();
  producers.push(producer);
  return { producer, topic };
}

/** One record through `produce`, as a promise. */
const sendOne = (producer: ConfluentProducer, r: OutgoingRecord): Promise<RecordMetadata> =>
  new Promise((resolve, reject) => producer.produce(r, { resolve, reject }));

const record = (topic: string, i: number): OutgoingRecord => ({
  topic,
  key: null,
  value: Buffer.from(String(i)),
  headers: { n: String(i) },
});

describe("ConfluentProducer", () => {
  it("ready() resolves once librdkafka reported the idempotent producer id", async () => {
    const { producer } = await setup();
    // Without the wait, librdkafka holds the first records until its producer id arrives
    // (a 500 ms timer): a warning would name the timeout, and the id would be missing.
    await producer.ready();
    expect(producer.hasProducerId).toBe(true);
  });

  it("without idempotence there is no producer id to wait for", async () => {
    const { producer, topic } = await setup({ "enable.idempotence": false });
    await producer.ready();
    expect(producer.hasProducerId).toBe(false);
    expect((await sendOne(producer, record(topic, 1))).offset).toBe("0");
  });

  it("records refused because librdkafka's queue is full wait, in order, and all land", async () => {
    // A queue of 50 records: most of the 3,000 below must wait for delivery reports to free room.
    const { producer, topic } = await setup({ "queue.buffering.max.messages": 50 });
    const singles = Array.from({ length: 2_000 }, (_, i) => sendOne(producer, record(topic, i)));
    const batch = producer.send(Array.from({ length: 1_000 }, (_, i) => record(topic, 2_000 + i)));
    const offsets = [...(await Promise.all(singles)), ...(await batch)].map((m) => Number(m.offset));
    expect(offsets).toHaveLength(3_000);
    expect(offsets.findIndex((o, i) => i > 0 && o !== offsets[i - 1]! + 1)).toBe(-1);
  });

  it("a settle that ignores metadata gets NO_METADATA; others get the record's partition and offset", async () => {
    const { producer, topic } = await setup();
    const bare = new Promise<RecordMetadata>((resolve, reject) =>
      producer.produce(record(topic, 0), { resolve, reject, ignoresMetadata: true }),
    );
    const full = sendOne(producer, record(topic, 1));
    expect(await bare).toBe(NO_METADATA);
    expect(await full).toEqual({ topic, partition: 0, offset: "1" });
  });

  it("a record librdkafka refuses for another reason fails alone with a PublishError", async () => {
    const { producer, topic } = await setup({ "message.max.bytes": 1_000 });
    const big: OutgoingRecord = { topic, key: null, value: Buffer.alloc(10_000), headers: {} };
    const [refused, ok] = await Promise.allSettled([sendOne(producer, big), sendOne(producer, record(topic, 1))]);
    expect(refused.status).toBe("rejected");
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(PublishError);
    expect((refused as PromiseRejectedResult).reason.message).toContain(topic);
    expect(ok.status).toBe("fulfilled");
  });

  it("disconnect hands over what waits, flushes, and later publishes fail", async () => {
    const { producer, topic } = await setup({ "queue.buffering.max.messages": 10 });
    const pending = Array.from({ length: 200 }, (_, i) => sendOne(producer, record(topic, i)));
    await producer.disconnect();
    const results = await Promise.allSettled(pending);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    await expect(sendOne(producer, record(topic, 0))).rejects.toBeInstanceOf(PublishError);
  });

  it("each record of a burst carries exactly its own headers (librdkafka's header objects are reused)", async () => {
    const cluster = await testCluster();
    const topic = uniqueName("producer-headers");
    await cluster.createTopic(topic, 1);
    const { KafkaBroker } = await import("../src/index.js");
    const broker = new KafkaBroker(cluster.brokers, { logLevel: "silent" });
    const seen: Record<string, unknown>[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    broker.subscriber(topic, { groupId: uniqueName("g"), autoOffsetReset: "earliest" }).handle((_body, message) => {
      const { correlation_id: _id, ...rest } = message.headers;
      seen.push(rest);
      if (seen.length === 4) done();
    });
    await broker.start();
    try {
      await Promise.all([
        broker.publish("a", topic, { headers: { x: "1", y: "2" } }),
        broker.publish("b", topic, { headers: { y: "3" } }),
        broker.publish(Buffer.from("c"), topic),
        broker.publish("d", topic, { headers: { z: Buffer.from([0xff, 0x00]) } }),
      ]);
      await all;
    } finally {
      await broker.stop();
    }
    expect(seen).toEqual([
      { x: "1", y: "2", "content-type": "text/plain" },
      { y: "3", "content-type": "text/plain" },
      { "content-type": "application/octet-stream" },
      { z: Buffer.from([0xff, 0x00]), "content-type": "text/plain" },
    ]);
  });
});
