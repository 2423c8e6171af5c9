import { SetupError } from "@faststream/core";
import { describe, expect, it } from "vitest";
import {
  checkPublishOptions,
  checkTopic,
  type KafkaBrokerOptions,
  type KafkaPublisherOptions,
  positiveInt,
  rejectUnknown,
  resolveBrokerOptions,
} from "./options.js";

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
      replyTopic: "faststream.replies.faststream",
      replyMaxWaitMs: 100,
      security: undefined,
      maxRecordBytes: 1_048_576,
      maxUnconfirmed: 10_000,
      frameworkHeaders: "full",
    });
    expect(resolveBrokerOptions("localhost:9092", { clientId: "svc" }).replyTopic).toBe("faststream.replies.svc");
    expect(() => resolveBrokerOptions("localhost:9092", { replyTopic: "bad topic" })).toThrow(/replyTopic/);
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

  it("accepts the scope options (validated by the broker's scope) without resolving them", () => {
    const resolved = resolveBrokerOptions("a:1", {
      middlewares: [],
      codec: "json",
      decoder: (_message, next) => next(),
      ackPolicy: "nack_on_error",
    });
    expect(Object.keys(resolved).sort()).toEqual(Object.keys(resolveBrokerOptions("a:1", {})).sort());
  });

  it("validates logLevel, clientId and timeouts", () => {
    expect(setupOption(() => resolveBrokerOptions("a:1", { logLevel: "verbose" as "info" }))).toBe("logLevel");
    expect(setupOption(() => resolveBrokerOptions("a:1", { clientId: "" }))).toBe("clientId");
    expect(setupOption(() => resolveBrokerOptions("a:1", { connectTimeoutMs: 0 }))).toBe("connectTimeoutMs");
    expect(setupOption(() => resolveBrokerOptions("a:1", { requestTimeoutMs: 1.5 }))).toBe("requestTimeoutMs");
    expect(setupOption(() => resolveBrokerOptions("a:1", { gracefulTimeoutMs: -1 }))).toBe("gracefulTimeoutMs");
    expect(setupOption(() => resolveBrokerOptions("a:1", { replyMaxWaitMs: 0 }))).toBe("replyMaxWaitMs");
    expect(setupOption(() => resolveBrokerOptions("a:1", { maxRecordBytes: 0 }))).toBe("maxRecordBytes");
    expect(resolveBrokerOptions("a:1", { maxRecordBytes: 5_000_000 }).maxRecordBytes).toBe(5_000_000);
    expect(setupOption(() => resolveBrokerOptions("a:1", { maxUnconfirmed: 0 }))).toBe("maxUnconfirmed");
    expect(resolveBrokerOptions("a:1", {}).maxUnconfirmed).toBe(10_000);
    expect(resolveBrokerOptions("a:1", { maxUnconfirmed: 500 }).maxUnconfirmed).toBe(500);
    expect(setupOption(() => resolveBrokerOptions("a:1", { frameworkHeaders: "none" as "full" }))).toBe(
      "frameworkHeaders",
    );
    expect(resolveBrokerOptions("a:1", { frameworkHeaders: "minimal" }).frameworkHeaders).toBe("minimal");
    const ok = resolveBrokerOptions("a:1", {
      logLevel: "silent",
      clientId: "svc",
      gracefulTimeoutMs: 0,
      startTimeoutMs: 5,
    });
    expect(ok).toMatchObject({ logLevel: "silent", clientId: "svc", gracefulTimeoutMs: 0, startTimeoutMs: 5 });
  });
});

describe("rejectUnknown", () => {
  it("names the first unknown key and lists the allowed ones", () => {
    expect(() => rejectUnknown({ a: 1 }, new Set(["a", "b"]), "test")).not.toThrow();
    expect(setupOption(() => rejectUnknown({ a: 1, c: 2 }, new Set(["a", "b"]), "test"))).toBe("c");
    expect(() => rejectUnknown({ c: 2 }, new Set(["a", "b"]), "test")).toThrow(
      /unknown test option; expected one of a, b/,
    );
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
        "record",
      ),
    ).not.toThrow();
    expect(() => checkPublishOptions({ key: null, timestamp: 1_700_000_000_000 }, "record")).not.toThrow();
    expect(() => checkPublishOptions({ key: Buffer.from("k"), description: "d" }, "publisher")).not.toThrow();
  });

  it("rejects a negative or fractional partition", () => {
    expect(setupOption(() => checkPublishOptions({ partition: -1 }, "record"))).toBe("partition");
    expect(setupOption(() => checkPublishOptions({ partition: 1.5 }, "publisher"))).toBe("partition");
  });

  it("rejects a key of the wrong type", () => {
    expect(setupOption(() => checkPublishOptions({ key: 5 as unknown as string }, "record"))).toBe("key");
    expect(setupOption(() => checkPublishOptions({ key: new Uint8Array([1]) as unknown as Buffer }, "record"))).toBe(
      "key",
    );
  });

  it("rejects a timestamp of the wrong type", () => {
    expect(setupOption(() => checkPublishOptions({ timestamp: "2024-01-01" as unknown as number }, "record"))).toBe(
      "timestamp",
    );
  });

  it("rejects unknown keys, and description outside a publisher", () => {
    const unknown = { topic: "x" } as unknown as KafkaPublisherOptions;
    expect(setupOption(() => checkPublishOptions(unknown, "publisher"))).toBe("topic");
    expect(setupOption(() => checkPublishOptions({ description: "d" }, "record"))).toBe("description");
  });

  it("rejects an unknown codec name", () => {
    expect(setupOption(() => checkPublishOptions({ codec: "avro" as "json" }, "record"))).toBe("codec");
  });

  it("takes noConfirm on publish() calls only, as a boolean", () => {
    expect(() => checkPublishOptions({ noConfirm: true } as KafkaPublisherOptions, "call")).not.toThrow();
    expect(() => checkPublishOptions({ noConfirm: false } as KafkaPublisherOptions, "call")).not.toThrow();
    const yes = { noConfirm: "yes" } as unknown as KafkaPublisherOptions;
    expect(setupOption(() => checkPublishOptions(yes, "call"))).toBe("noConfirm");
    // A record's options (publishBatch items, handler results) and a publisher's defaults have no noConfirm.
    const unconfirmed = { noConfirm: true } as unknown as KafkaPublisherOptions;
    expect(setupOption(() => checkPublishOptions(unconfirmed, "record"))).toBe("noConfirm");
    expect(setupOption(() => checkPublishOptions(unconfirmed, "publisher"))).toBe("noConfirm");
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
