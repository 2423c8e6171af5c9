import { CapturingLogger, Collector, testCluster, uniqueName } from "@faststream/conformance";
import type { ConsumerCallbacks, DriverConfig, RawBatch } from "@faststream/kafka";
import { afterEach, describe, expect, it } from "vitest";
import { ConfluentConsumer } from "../src/consumer.js";
import { ConfluentProducer } from "../src/producer.js";

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.allSettled(cleanup.splice(0).map((f) => f()));
});

async function config(): Promise<DriverConfig> {
  return {
    brokers: (await testCluster()).brokers.split(","),
    clientId: uniqueName("consumer-test"),
    logger: new CapturingLogger(),
    connectTimeoutMs: 3_000,
    requestTimeoutMs: 10_000,
  };
}

async function send(cfg: DriverConfig, topic: string, partition: number, values: string[]): Promise<void> {
  const producer = new ConfluentProducer(cfg);
  await producer.connect();
  try {
    await Promise.all(
      values.map(
        (v) =>
          new Promise((resolve, reject) =>
            producer.produce({ topic, partition, key: null, value: Buffer.from(v), headers: {} }, { resolve, reject }),
          ),
      ),
    );
  } finally {
    await producer.disconnect();
  }
}

describe("ConfluentConsumer", () => {
  it("a partition whose batches are stuck does not hold up another one, even when every poll returned only it", async () => {
    const cfg = await config();
    const topic = uniqueName("stuck");
    await (await testCluster()).createTopic(topic, 2);
    // A backlog on partition 1 only: every poll returns its records, far more than the poll
    // loop may queue ahead (1 batch per partition) and fewer per batch than one partition's
    // own pause threshold needs, so only the loop's stall check can let partition 0 through.
    const backlog = Array.from({ length: 500 }, (_, i) => String(i));
    await send(cfg, topic, 1, backlog);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stuckEntered = new Collector<number>();
    const seen = new Collector<{ partition: number; value: string }>();
    const callbacks: ConsumerCallbacks = {
      onBatch: async (batch: RawBatch, control) => {
        if (batch.partition === 1) {
          stuckEntered.push(1);
          await released;
        }
        for (const m of batch.messages) {
          seen.push({ partition: batch.partition, value: m.value!.toString() });
          control.resolveOffset(m.offset);
        }
      },
      onAssigned: () => {},
      onRevoked: () => {},
      onLost: () => {},
      onCrash: () => {},
    };
    const consumer = new ConfluentConsumer(
      cfg,
      {
        groupId: uniqueName("g"),
        subscription: { kind: "topics", topics: [topic] },
        fromBeginning: true,
        sessionTimeoutMs: 3_000,
        heartbeatIntervalMs: 1_000,
        rebalanceTimeoutMs: 3_000,
        maxWaitMs: 200,
        maxBatchSize: 10,
        partitionsConcurrently: 2,
        isolationLevel: "read_uncommitted",
      },
      callbacks,
    );
    cleanup.push(() => {
      release();
      return consumer.stop();
    });
    await consumer.start();
    await stuckEntered.waitFor(1);
    await send(cfg, topic, 0, ["p0"]);
    const [first] = await seen.waitFor(1);
    expect(first).toEqual({ partition: 0, value: "p0" });
    // Partition 1 was paused meanwhile; released, all of it comes, in order, once.
    release();
    const all = await seen.waitFor(1 + backlog.length);
    expect(all.filter((r) => r.partition === 1).map((r) => r.value)).toEqual(backlog);
  });
});
