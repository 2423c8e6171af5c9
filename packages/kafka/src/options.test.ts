import { type AnySchema, autoCodec, jsonCodec, SetupError } from "@faststream/core";
import { describe, expect, it } from "vitest";
import {
  checkPublishOptions,
  checkTopic,
  type KafkaBrokerOptions,
  type KafkaPublisherOptions,
  type KafkaSubscriberOptions,
  positiveInt,
  resolveBrokerOptions,
  resolveSubscriberOptions,
} from "./options.js";

type SubOptions = KafkaSubscriberOptions<AnySchema | undefined, "auto">;

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

describe("resolveBrokerOptions", () => {
  it("applies defaults", () => {
    expect(resolveBrokerOptions("localhost:9092", {})).toEqual({
      brokers: ["localhost:9092"],
      clientId: "faststream",
      logger: undefined,
      logLevel: "info",
      gracefulTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      startTimeoutMs: 60_000,
    });
  });

  it("accepts a comma-separated list, an array and IPv6 literals", () => {
    expect(resolveBrokerOptions("a:9092, b.example.com:9093 ,10.0.0.1:1", {}).brokers).toEqual([
      "a:9092",
      "b.example.com:9093",
      "10.0.0.1:1",
    ]);
    expect(resolveBrokerOptions([" k1:9092", "[::1]:9092"], {}).brokers).toEqual(["k1:9092", "[::1]:9092"]);
  });

  it("rejects anything that is not host:port as bootstrapServers", () => {
    for (const servers of [
      "localhost",
      "host:port",
      "a:9092,",
      "",
      "a b:9092",
      "a:123456",
      [],
      ["a:1", 2],
      9092,
      undefined,
    ]) {
      expect(setupOption(() => resolveBrokerOptions(servers, {}))).toBe("bootstrapServers");
    }
  });

  it("names an unknown option key", () => {
    const options = { clientId: "x", brokers: ["a:1"] } as unknown as KafkaBrokerOptions;
    expect(setupOption(() => resolveBrokerOptions("a:1", options))).toBe("brokers");
  });

  it("validates logLevel, clientId and timeouts", () => {
    expect(setupOption(() => resolveBrokerOptions("a:1", { logLevel: "verbose" as "info" }))).toBe("logLevel");
    expect(setupOption(() => resolveBrokerOptions("a:1", { clientId: "" }))).toBe("clientId");
    expect(setupOption(() => resolveBrokerOptions("a:1", { connectTimeoutMs: 0 }))).toBe("connectTimeoutMs");
    expect(setupOption(() => resolveBrokerOptions("a:1", { requestTimeoutMs: 1.5 }))).toBe("requestTimeoutMs");
    expect(setupOption(() => resolveBrokerOptions("a:1", { gracefulTimeoutMs: -1 }))).toBe("gracefulTimeoutMs");
    const ok = resolveBrokerOptions("a:1", {
      logLevel: "silent",
      clientId: "svc",
      gracefulTimeoutMs: 0,
      startTimeoutMs: 5,
    });
    expect(ok).toMatchObject({ logLevel: "silent", clientId: "svc", gracefulTimeoutMs: 0, startTimeoutMs: 5 });
  });
});

describe("positiveInt", () => {
  it("returns the fallback when unset and enforces integer >= min", () => {
    expect(positiveInt(undefined, "n", 7)).toBe(7);
    expect(positiveInt(3, "n", 7)).toBe(3);
    expect(positiveInt(0, "n", 7, 0)).toBe(0);
    expect(setupOption(() => positiveInt(0, "n", 7))).toBe("n");
    expect(setupOption(() => positiveInt("5", "n", 7))).toBe("n");
    expect(setupOption(() => positiveInt(Number.NaN, "n", 7))).toBe("n");
  });
});

describe("resolveSubscriberOptions", () => {
  it("applies defaults", () => {
    const resolved = resolveSubscriberOptions("orders", {});
    expect(resolved.topics).toEqual(["orders"]);
    expect(resolved.groupId).toBeUndefined();
    expect(resolved.schema).toBeUndefined();
    expect(resolved.codec).toBe(autoCodec);
    expect(resolved.description).toBeUndefined();
    expect(resolved.consumer).toEqual({
      fromBeginning: false,
      sessionTimeoutMs: 45_000,
      heartbeatIntervalMs: 3_000,
      rebalanceTimeoutMs: 60_000,
      maxWaitMs: 500,
      maxBatchSize: 1_000,
      partitionsConcurrently: 1,
    });
  });

  it("maps autoOffsetReset and keeps the other options", () => {
    const resolved = resolveSubscriberOptions(["a", "b"], {
      autoOffsetReset: "earliest",
      groupId: "g",
      schema,
      codec: "json" as "auto",
      description: "desc",
      maxBatchSize: 10,
    });
    expect(resolved.consumer.fromBeginning).toBe(true);
    expect(resolved.consumer.maxBatchSize).toBe(10);
    expect(resolved.groupId).toBe("g");
    expect(resolved.schema).toBe(schema);
    expect(resolved.codec).toBe(jsonCodec);
    expect(resolved.description).toBe("desc");
    expect(resolveSubscriberOptions("a", { autoOffsetReset: "latest" }).consumer.fromBeginning).toBe(false);
  });

  it("derives timing defaults from the session timeout", () => {
    expect(resolveSubscriberOptions("a", { sessionTimeoutMs: 6_000 }).consumer).toMatchObject({
      heartbeatIntervalMs: 2_000,
      rebalanceTimeoutMs: 60_000,
      maxWaitMs: 500,
    });
    expect(resolveSubscriberOptions("a", { sessionTimeoutMs: 90_000 }).consumer.rebalanceTimeoutMs).toBe(90_000);
  });

  it("deduplicates topics, keeping the first order", () => {
    expect(resolveSubscriberOptions(["b", "a", "b", "a", "c"], {}).topics).toEqual(["b", "a", "c"]);
  });

  it("rejects missing or invalid topics", () => {
    for (const topics of [[], undefined, 42, ["ok", "bad topic"], ["a/b"], [""], ["x".repeat(250)], [7]]) {
      expect(setupOption(() => resolveSubscriberOptions(topics, {}))).toBe("topics");
    }
    expect(resolveSubscriberOptions(["x".repeat(249), "a.b_c-D9"], {}).topics).toHaveLength(2);
  });

  it("names an unknown option key", () => {
    const options = { groupId: "g", fromBeginning: true } as unknown as SubOptions;
    expect(setupOption(() => resolveSubscriberOptions("a", options))).toBe("fromBeginning");
  });

  it("rejects a schema that is not a Standard Schema", () => {
    for (const bad of [
      {},
      { parse: () => 1 },
      "zod",
      { "~standard": { version: 2, validate: () => ({ value: 1 }) } },
    ]) {
      expect(setupOption(() => resolveSubscriberOptions("a", { schema: bad as unknown as AnySchema }))).toBe("schema");
    }
  });

  it("rejects an empty groupId, a bad autoOffsetReset and a bad codec", () => {
    expect(setupOption(() => resolveSubscriberOptions("a", { groupId: "" }))).toBe("groupId");
    expect(setupOption(() => resolveSubscriberOptions("a", { autoOffsetReset: "beginning" as "latest" }))).toBe(
      "autoOffsetReset",
    );
    expect(setupOption(() => resolveSubscriberOptions("a", { codec: "yaml" as "auto" }))).toBe("codec");
  });

  it("requires heartbeatIntervalMs to be at most a third of sessionTimeoutMs", () => {
    expect(
      setupOption(() => resolveSubscriberOptions("a", { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 10_001 })),
    ).toBe("heartbeatIntervalMs");
    expect(setupOption(() => resolveSubscriberOptions("a", { heartbeatIntervalMs: 20_000 }))).toBe(
      "heartbeatIntervalMs",
    );
    const ok = resolveSubscriberOptions("a", { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 10_000 });
    expect(ok.consumer.heartbeatIntervalMs).toBe(10_000);
  });

  it("requires rebalanceTimeoutMs >= sessionTimeoutMs", () => {
    expect(setupOption(() => resolveSubscriberOptions("a", { rebalanceTimeoutMs: 44_999 }))).toBe("rebalanceTimeoutMs");
    expect(resolveSubscriberOptions("a", { rebalanceTimeoutMs: 45_000 }).consumer.rebalanceTimeoutMs).toBe(45_000);
  });

  it("requires maxWaitMs < sessionTimeoutMs", () => {
    expect(setupOption(() => resolveSubscriberOptions("a", { maxWaitMs: 45_000 }))).toBe("maxWaitMs");
    expect(setupOption(() => resolveSubscriberOptions("a", { sessionTimeoutMs: 9_000, maxWaitMs: 10_000 }))).toBe(
      "maxWaitMs",
    );
    expect(resolveSubscriberOptions("a", { maxWaitMs: 44_999 }).consumer.maxWaitMs).toBe(44_999);
  });

  it("rejects non-integer or non-positive numbers", () => {
    expect(setupOption(() => resolveSubscriberOptions("a", { sessionTimeoutMs: 0 }))).toBe("sessionTimeoutMs");
    expect(setupOption(() => resolveSubscriberOptions("a", { maxBatchSize: 2.5 }))).toBe("maxBatchSize");
  });
});

describe("checkPublishOptions", () => {
  it("accepts valid options", () => {
    expect(() =>
      checkPublishOptions(
        {
          key: "k",
          partition: 0,
          headers: { a: "b" },
          correlationId: "c",
          replyTo: "r",
          timestamp: new Date(),
          codec: "json",
        },
        false,
      ),
    ).not.toThrow();
    expect(() => checkPublishOptions({ key: null, timestamp: 1_700_000_000_000 }, false)).not.toThrow();
    expect(() => checkPublishOptions({ key: Buffer.from("k"), description: "d" }, true)).not.toThrow();
  });

  it("rejects a negative or fractional partition", () => {
    expect(setupOption(() => checkPublishOptions({ partition: -1 }, false))).toBe("partition");
    expect(setupOption(() => checkPublishOptions({ partition: 1.5 }, true))).toBe("partition");
  });

  it("rejects a key of the wrong type", () => {
    expect(setupOption(() => checkPublishOptions({ key: 5 as unknown as string }, false))).toBe("key");
    expect(setupOption(() => checkPublishOptions({ key: new Uint8Array([1]) as unknown as Buffer }, false))).toBe(
      "key",
    );
  });

  it("rejects a timestamp of the wrong type", () => {
    expect(setupOption(() => checkPublishOptions({ timestamp: "2024-01-01" as unknown as number }, false))).toBe(
      "timestamp",
    );
  });

  it("rejects unknown keys, and description outside a publisher", () => {
    const unknown = { topic: "x" } as unknown as KafkaPublisherOptions;
    expect(setupOption(() => checkPublishOptions(unknown, true))).toBe("topic");
    expect(setupOption(() => checkPublishOptions({ description: "d" }, false))).toBe("description");
  });

  it("rejects an unknown codec name", () => {
    expect(setupOption(() => checkPublishOptions({ codec: "avro" as "json" }, false))).toBe("codec");
  });
});

describe("checkTopic", () => {
  it("returns valid topic names", () => {
    expect(checkTopic("orders.v1_in-2")).toBe("orders.v1_in-2");
  });

  it("rejects invalid names, naming the option", () => {
    for (const topic of ["", "with space", "a/b", "x".repeat(250), 1, null]) {
      expect(setupOption(() => checkTopic(topic))).toBe("topic");
    }
    expect(setupOption(() => checkTopic("bad topic", "replyTo"))).toBe("replyTo");
  });
});
