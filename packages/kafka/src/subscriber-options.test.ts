import { type AnySchema, type Codec, type CodecName, SetupError } from "@faststream/core";
import { NO_RETRY } from "./retry.js";
import { describe, expect, it } from "vitest";
import type { DriverCapabilities } from "./driver.js";
import { type KafkaSubscriberOptions, resolveSubscriberOptions } from "./subscriber-options.js";

type SubOptions = KafkaSubscriberOptions<AnySchema | undefined, CodecName | Codec<unknown>, object>;

const FULL: DriverCapabilities = {
  name: "full",
  staticMembership: true,
  maxPollInterval: true,
  assignmentStrategies: ["roundrobin", "range", "cooperative-sticky"],
  patternPicksUpNewTopics: true,
  network: true,
};

const LIMITED: DriverCapabilities = {
  name: "limited",
  staticMembership: false,
  maxPollInterval: false,
  assignmentStrategies: ["roundrobin", "range"],
  patternPicksUpNewTopics: false,
  network: true,
};

const resolve = (options: SubOptions, caps: DriverCapabilities = FULL) => resolveSubscriberOptions(options, caps);

/** Runs `fn`, expects a SetupError and returns the option it names. */
function setupOption(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SetupError);
    return (err as SetupError).option;
  }
  throw new Error("expected a SetupError");
}

const schema: AnySchema = { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } };

describe("resolveSubscriberOptions", () => {
  it("applies defaults", () => {
    const resolved = resolve({});
    expect(resolved).toEqual({
      groupId: undefined,
      schema: undefined,
      consumer: {
        fromBeginning: false,
        sessionTimeoutMs: 45_000,
        heartbeatIntervalMs: 3_000,
        rebalanceTimeoutMs: 60_000,
        maxWaitMs: 500,
        maxBatchSize: 1_000,
        partitionsConcurrently: 1,
        groupInstanceId: undefined,
        maxPollIntervalMs: undefined,
        minBytes: undefined,
        maxBytes: undefined,
        maxBytesPerPartition: undefined,
        isolationLevel: "read_committed",
        assignmentStrategies: undefined,
      },
      maxWorkers: 1,
      ordering: "partition",
      batch: false,
      maxRecords: 1_000,
      dependencies: undefined,
      retry: NO_RETRY,
      deadLetter: undefined,
      maxBodyBytes: undefined,
      hooks: {},
      description: undefined,
    });
  });

  it("validates retry, deadLetter and maxBodyBytes", () => {
    const r = resolve({
      retry: { maxAttempts: 4, backoff: { kind: "fixed", delayMs: 5 } },
      deadLetter: "dlt",
      maxBodyBytes: 10,
    });
    expect([r.retry.maxAttempts, r.retry.delayMs(2), r.deadLetter, r.maxBodyBytes]).toEqual([4, 5, "dlt", 10]);
    expect(() => resolve({ retry: { maxAttempts: 0 } })).toThrow(
      expect.objectContaining({ option: "retry.maxAttempts" }),
    );
    expect(() => resolve({ retry: { backoff: { kind: "linear" } as never } })).toThrow(
      expect.objectContaining({ option: "retry.backoff.kind" }),
    );
    expect(() => resolve({ deadLetter: "bad topic" })).toThrow(expect.objectContaining({ option: "deadLetter" }));
    expect(() => resolve({ maxBodyBytes: -1 })).toThrow(expect.objectContaining({ option: "maxBodyBytes" }));
  });

  it("maps autoOffsetReset and keeps the other options", () => {
    const resolved = resolve({
      autoOffsetReset: "earliest",
      groupId: "g",
      schema,
      description: "desc",
      maxBatchSize: 10,
      isolationLevel: "read_uncommitted",
      minBytes: 1,
      maxBytes: 2_000,
      maxBytesPerPartition: 1_000,
    });
    expect(resolved.consumer).toMatchObject({
      fromBeginning: true,
      maxBatchSize: 10,
      isolationLevel: "read_uncommitted",
      minBytes: 1,
      maxBytes: 2_000,
      maxBytesPerPartition: 1_000,
    });
    expect(resolved.groupId).toBe("g");
    expect(resolved.schema).toBe(schema);
    expect(resolved.description).toBe("desc");
    expect(resolve({ autoOffsetReset: "latest" }).consumer.fromBeginning).toBe(false);
  });

  it("runs as many partitions concurrently as maxWorkers", () => {
    const resolved = resolve({ maxWorkers: 4, ordering: "key" });
    expect(resolved.maxWorkers).toBe(4);
    expect(resolved.consumer.partitionsConcurrently).toBe(4);
    expect(resolved.ordering).toBe("key");
  });

  it("defaults maxRecords to maxBatchSize for batch subscribers", () => {
    expect(resolve({ batch: true, maxBatchSize: 50 }).maxRecords).toBe(50);
    expect(resolve({ batch: true, maxRecords: 7 })).toMatchObject({ batch: true, maxRecords: 7 });
  });

  it("derives timing defaults from the session timeout", () => {
    expect(resolve({ sessionTimeoutMs: 6_000 }).consumer).toMatchObject({
      heartbeatIntervalMs: 2_000,
      rebalanceTimeoutMs: 60_000,
      maxWaitMs: 500,
    });
    expect(resolve({ sessionTimeoutMs: 90_000 }).consumer.rebalanceTimeoutMs).toBe(90_000);
  });

  it("names an unknown option key", () => {
    const options = { groupId: "g", fromBeginning: true } as unknown as SubOptions;
    expect(setupOption(() => resolve(options))).toBe("fromBeginning");
  });

  it("rejects a schema that is not a Standard Schema", () => {
    for (const bad of [
      {},
      { parse: () => 1 },
      "zod",
      { "~standard": { version: 2, validate: () => ({ value: 1 }) } },
    ]) {
      expect(setupOption(() => resolve({ schema: bad as unknown as AnySchema }))).toBe("schema");
    }
  });

  it("rejects an empty groupId, a bad autoOffsetReset and a bad isolationLevel", () => {
    expect(setupOption(() => resolve({ groupId: "" }))).toBe("groupId");
    expect(setupOption(() => resolve({ autoOffsetReset: "beginning" as "latest" }))).toBe("autoOffsetReset");
    expect(setupOption(() => resolve({ isolationLevel: "dirty" as "read_committed" }))).toBe("isolationLevel");
  });

  it("accepts groupInstanceId only with static membership and a groupId", () => {
    expect(resolve({ groupId: "g", groupInstanceId: "i-1" }).consumer.groupInstanceId).toBe("i-1");
    expect(setupOption(() => resolve({ groupId: "g", groupInstanceId: "i-1" }, LIMITED))).toBe("groupInstanceId");
    expect(() => resolve({ groupId: "g", groupInstanceId: "i-1" }, LIMITED)).toThrow(/limited/);
    expect(setupOption(() => resolve({ groupInstanceId: "i-1" }))).toBe("groupInstanceId");
    expect(setupOption(() => resolve({ groupId: "g", groupInstanceId: "" }))).toBe("groupInstanceId");
  });

  it("accepts maxPollIntervalMs only when the driver supports it", () => {
    expect(resolve({ maxPollIntervalMs: 300_000 }).consumer.maxPollIntervalMs).toBe(300_000);
    expect(setupOption(() => resolve({ maxPollIntervalMs: 300_000 }, LIMITED))).toBe("maxPollIntervalMs");
    expect(setupOption(() => resolve({ maxPollIntervalMs: 0 }))).toBe("maxPollIntervalMs");
  });

  it("normalises assignment strategies and rejects ones the driver lacks", () => {
    expect(resolve({ assignmentStrategy: "range" }).consumer.assignmentStrategies).toEqual(["range"]);
    expect(resolve({ assignmentStrategy: ["cooperative-sticky", "range"] }).consumer.assignmentStrategies).toEqual([
      "cooperative-sticky",
      "range",
    ]);
    expect(setupOption(() => resolve({ assignmentStrategy: "cooperative-sticky" }, LIMITED))).toBe(
      "assignmentStrategy",
    );
    expect(setupOption(() => resolve({ assignmentStrategy: ["range", "sticky" as "range"] }))).toBe(
      "assignmentStrategy",
    );
  });

  it("requires heartbeatIntervalMs to be at most a third of sessionTimeoutMs", () => {
    expect(setupOption(() => resolve({ sessionTimeoutMs: 30_000, heartbeatIntervalMs: 10_001 }))).toBe(
      "heartbeatIntervalMs",
    );
    expect(setupOption(() => resolve({ heartbeatIntervalMs: 20_000 }))).toBe("heartbeatIntervalMs");
    expect(resolve({ sessionTimeoutMs: 30_000, heartbeatIntervalMs: 10_000 }).consumer.heartbeatIntervalMs).toBe(
      10_000,
    );
  });

  it("requires rebalanceTimeoutMs >= sessionTimeoutMs", () => {
    expect(setupOption(() => resolve({ rebalanceTimeoutMs: 44_999 }))).toBe("rebalanceTimeoutMs");
    expect(resolve({ rebalanceTimeoutMs: 45_000 }).consumer.rebalanceTimeoutMs).toBe(45_000);
  });

  it("requires maxWaitMs < sessionTimeoutMs", () => {
    expect(setupOption(() => resolve({ maxWaitMs: 45_000 }))).toBe("maxWaitMs");
    expect(setupOption(() => resolve({ sessionTimeoutMs: 9_000, maxWaitMs: 10_000 }))).toBe("maxWaitMs");
    expect(resolve({ maxWaitMs: 44_999 }).consumer.maxWaitMs).toBe(44_999);
  });

  it("rejects non-integer or non-positive numbers", () => {
    expect(setupOption(() => resolve({ sessionTimeoutMs: 0 }))).toBe("sessionTimeoutMs");
    expect(setupOption(() => resolve({ maxBatchSize: 2.5 }))).toBe("maxBatchSize");
    expect(setupOption(() => resolve({ maxWorkers: 0 }))).toBe("maxWorkers");
    expect(setupOption(() => resolve({ minBytes: -1 }))).toBe("minBytes");
    expect(setupOption(() => resolve({ batch: true, maxRecords: 0 }))).toBe("maxRecords");
  });

  it("validates ordering, batch and maxRecords together", () => {
    expect(setupOption(() => resolve({ ordering: "offset" as "key" }))).toBe("ordering");
    expect(setupOption(() => resolve({ batch: "yes" as unknown as boolean }))).toBe("batch");
    expect(setupOption(() => resolve({ maxRecords: 10 }))).toBe("maxRecords");
    expect(setupOption(() => resolve({ batch: false, maxRecords: 10 }))).toBe("maxRecords");
    expect(setupOption(() => resolve({ batch: true, ordering: "key" }))).toBe("ordering");
  });

  it("validates the ack policy", () => {
    expect(setupOption(() => resolve({ ackPolicy: "sometimes" as "ack" }))).toBe("ackPolicy");
    expect(() => resolve({ ackPolicy: "manual" })).not.toThrow();
  });

  it("validates dependencies, naming the bad one", () => {
    const dependencies = { user: (m: { keyText: string | undefined }) => m.keyText };
    expect(resolve({ dependencies }).dependencies).toBe(dependencies);
    expect(setupOption(() => resolve({ dependencies: "nope" as unknown as object }))).toBe("dependencies");
    expect(setupOption(() => resolve({ dependencies: null as unknown as object }))).toBe("dependencies");
    expect(setupOption(() => resolve({ dependencies: { user: 42 } as unknown as object }))).toBe("dependencies.user");
  });

  it("keeps rebalance hooks and rejects non-functions", () => {
    const onAssigned = () => undefined;
    const onLost = () => undefined;
    expect(resolve({ onAssigned, onLost }).hooks).toEqual({ onAssigned, onLost });
    for (const hook of ["onAssigned", "onRevoked", "onLost"] as const) {
      expect(setupOption(() => resolve({ [hook]: "later" } as unknown as SubOptions))).toBe(hook);
    }
  });
});
