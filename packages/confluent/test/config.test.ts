import type { ConsumerSpec, DriverConfig } from "@faststream/kafka";
import { describe, expect, it } from "vitest";
import { consumerConfig, consumerTopicConfig, producerConfig } from "../src/config.js";

const driver: DriverConfig = {
  brokers: ["a:9092", "b:9092"],
  clientId: "app",
  logger: { debug() {}, info() {}, warn() {}, error() {} } as unknown as DriverConfig["logger"],
  connectTimeoutMs: 3_000,
  requestTimeoutMs: 20_000,
};

const spec: ConsumerSpec = {
  groupId: "g",
  subscription: { kind: "topics", topics: ["t"] },
  fromBeginning: false,
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  maxWaitMs: 500,
  maxBatchSize: 1_000,
  partitionsConcurrently: 1,
  isolationLevel: "read_committed",
};

const rebalance = (): void => {};

describe("consumerConfig", () => {
  it("never commits or stores offsets by itself and hands assignments to the rebalance callback", () => {
    const c = consumerConfig(driver, spec, rebalance) as Record<string, unknown>;
    expect(c).toMatchObject({
      "bootstrap.servers": "a:9092,b:9092",
      "client.id": "app",
      "group.id": "g",
      "enable.auto.commit": false,
      "enable.auto.offset.store": false,
      "isolation.level": "read_committed",
      "fetch.wait.max.ms": 500,
      "session.timeout.ms": 45_000,
      "heartbeat.interval.ms": 3_000,
    });
    expect(c["rebalance_cb"]).toBe(rebalance);
  });

  it("puts where a partition without a committed offset starts into the topic config", () => {
    // A global "auto.offset.reset" is overridden by the topic config the client always passes.
    expect(consumerTopicConfig({ ...spec, fromBeginning: true })).toEqual({ "auto.offset.reset": "earliest" });
    expect(consumerTopicConfig(spec)).toEqual({ "auto.offset.reset": "latest" });
    expect(consumerConfig(driver, spec, rebalance)).not.toHaveProperty("auto.offset.reset");
  });

  it("uses round robin unless told otherwise, and keeps only strategies of the first one's protocol", () => {
    expect(consumerConfig(driver, spec, rebalance)["partition.assignment.strategy"]).toBe("roundrobin");
    const mixed = consumerConfig(
      driver,
      { ...spec, assignmentStrategies: ["cooperative-sticky", "range", "roundrobin"] },
      rebalance,
    );
    expect(mixed["partition.assignment.strategy"]).toBe("cooperative-sticky");
    const eager = consumerConfig(driver, { ...spec, assignmentStrategies: ["range", "roundrobin"] }, rebalance);
    expect(eager["partition.assignment.strategy"]).toBe("range,roundrobin");
  });

  it("sizes per-partition fetches from maxBytesPerPartition, else maxBytes, and bounds the pre-fetch queue", () => {
    const byPartition = consumerConfig(
      driver,
      { ...spec, maxBytes: 4_000_000, maxBytesPerPartition: 2_000 },
      rebalance,
    );
    expect(byPartition["fetch.message.max.bytes"]).toBe(2_000);
    const byFetch = consumerConfig(driver, { ...spec, maxBytes: 64 * 1024 * 1024 }, rebalance);
    expect(byFetch["fetch.message.max.bytes"]).toBe(64 * 1024 * 1024);
    // At least one whole fetch fits in the pre-fetch queue; otherwise 16 MiB.
    expect(byFetch["queued.max.messages.kbytes"]).toBe(64 * 1024);
    expect(consumerConfig(driver, spec, rebalance)["queued.max.messages.kbytes"]).toBe(16 * 1024);
  });

  it("takes the longest of the rebalance timeout, the poll interval and the session as the poll limit", () => {
    expect(consumerConfig(driver, spec, rebalance)["max.poll.interval.ms"]).toBe(60_000);
    const longPoll = consumerConfig(driver, { ...spec, maxPollIntervalMs: 300_000 }, rebalance);
    expect(longPoll["max.poll.interval.ms"]).toBe(300_000);
  });

  it("passes static membership and fetch minimums only when set", () => {
    const plain = consumerConfig(driver, spec, rebalance);
    expect(plain).not.toHaveProperty("group.instance.id");
    expect(plain).not.toHaveProperty("fetch.min.bytes");
    const set = consumerConfig(driver, { ...spec, groupInstanceId: "pod-1", minBytes: 1_024 }, rebalance);
    expect(set).toMatchObject({ "group.instance.id": "pod-1", "fetch.min.bytes": 1_024 });
  });
});

describe("producerConfig", () => {
  it("reports every delivery, partitions like Kafka's clients and stays idempotent", () => {
    const c = producerConfig(driver) as Record<string, unknown>;
    expect(c).toMatchObject({
      "bootstrap.servers": "a:9092,b:9092",
      "client.id": "app",
      "socket.connection.setup.timeout.ms": 3_000,
      "socket.timeout.ms": 20_000,
      partitioner: "murmur2_random",
      "enable.idempotence": true,
      dr_cb: true,
    });
  });

  it("raises librdkafka's record limit above maxRecordBytes, never below its own default", () => {
    const limit = (maxRecordBytes?: number): unknown =>
      (producerConfig({ ...driver, ...(maxRecordBytes ? { maxRecordBytes } : {}) }) as Record<string, unknown>)[
        "message.max.bytes"
      ];
    expect(limit()).toBe(1_000_000);
    expect(limit(1_048_576)).toBeGreaterThan(1_048_576);
    expect(limit(5_000_000)).toBeGreaterThan(5_000_000);
    expect(limit(2_000_000_000)).toBe(1_000_000_000);
  });
});
