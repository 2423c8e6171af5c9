import { ContextRegistry, type LogFields, type Logger, type Settlement } from "@faststream/core";
import { describe, expect, it } from "vitest";
import type { RawRecord } from "./driver.js";
import { KafkaMessage, type MessageOrigin } from "./message.js";

type Line = { level: string; fields: LogFields; message: string };

/** A capturing logger without `child`, so KafkaMessage must emulate it. */
function captureLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (fields: LogFields, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const binary = Buffer.from([0x80, 0x81, 0xfe]);

function makeRecord(overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    key: Buffer.from("user-1"),
    value: Buffer.from('{"a":1}'),
    offset: "9007199254740",
    timestamp: "1700000000123",
    headers: {
      "content-type": Buffer.from("application/json"),
      correlation_id: "corr-1",
      reply_to: ["old-replies", Buffer.from("replies")],
      trace: binary,
    },
    ...overrides,
  };
}

type Settled = { message: KafkaMessage<unknown>; settlement: Settlement };

function makeOrigin(
  logger: Logger = captureLogger(),
  overrides: Partial<MessageOrigin> = {},
): MessageOrigin & { settled: Settled[] } {
  const settled: Settled[] = [];
  return {
    topic: "orders",
    partition: 3,
    groupId: "billing",
    logger,
    context: new ContextRegistry(),
    params: {},
    settle: (message, settlement) => {
      settled.push({ message, settlement });
    },
    settled,
    ...overrides,
  };
}

function makeMessage(record: RawRecord = makeRecord(), logger: Logger = captureLogger()): KafkaMessage {
  return new KafkaMessage(makeOrigin(logger), record);
}

describe("KafkaMessage", () => {
  it("exposes topic, partition, numeric offset and group", () => {
    const msg = makeMessage();
    expect(msg.topic).toBe("orders");
    expect(msg.partition).toBe(3);
    expect(msg.offset).toBe(9007199254740);
    expect(typeof msg.offset).toBe("number");
    expect(msg.groupId).toBe("billing");
    expect(msg.body).toBeUndefined();
  });

  it("exposes the raw body and key as bytes and the key as text", () => {
    const record = makeRecord();
    const msg = makeMessage(record);
    expect(msg.rawBody).toBe(record.value);
    expect(msg.key).toBe(record.key);
    expect(msg.keyText).toBe("user-1");
  });

  it("returns undefined keyText and null key/body for a keyless tombstone", () => {
    const msg = makeMessage(makeRecord({ key: null, value: null }));
    expect(msg.key).toBeNull();
    expect(msg.keyText).toBeUndefined();
    expect(msg.rawBody).toBeNull();
  });

  it("decodes headers: text as strings, binary as Buffers, repeated keys last wins", () => {
    const msg = makeMessage();
    expect(msg.headers["content-type"]).toBe("application/json");
    expect(msg.headers["correlation_id"]).toBe("corr-1");
    expect(msg.headers["reply_to"]).toBe("replies");
    expect(msg.headers["trace"]).toBe(binary);
    expect(Buffer.isBuffer(msg.headers["trace"])).toBe(true);
    expect(msg.headers).toBe(msg.headers);
  });

  it("has empty headers when the record has none", () => {
    const msg = makeMessage(makeRecord({ headers: undefined }));
    expect(msg.headers).toEqual({});
    expect(msg.contentType).toBeUndefined();
    expect(msg.replyTo).toBeUndefined();
  });

  it("reads correlationId, replyTo and contentType from headers", () => {
    const msg = makeMessage();
    expect(msg.correlationId).toBe("corr-1");
    expect(msg.replyTo).toBe("replies");
    expect(msg.contentType).toBe("application/json");
  });

  it("falls back to the topic-partition-offset message id without a text correlation_id", () => {
    const none = makeMessage(makeRecord({ headers: {} }));
    expect(none.messageId).toBe("orders-3-9007199254740");
    expect(none.correlationId).toBe("orders-3-9007199254740");
    const binaryId = makeMessage(makeRecord({ headers: { correlation_id: binary } }));
    expect(binaryId.correlationId).toBe(binaryId.messageId);
  });

  it("converts the timestamp to a Date", () => {
    const msg = makeMessage();
    expect(msg.timestamp).toBeInstanceOf(Date);
    expect(msg.timestamp.getTime()).toBe(1_700_000_000_123);
    expect(msg.timestamp.toISOString()).toBe("2023-11-14T22:13:20.123Z");
  });

  it("has a logger carrying topic, partition, offset, group and message id", () => {
    const base = captureLogger();
    const msg = makeMessage(makeRecord(), base);
    msg.logger.info({ step: "x" }, "handled");
    msg.logger.error({ group: "override" }, "failed");
    expect(base.lines).toEqual([
      {
        level: "info",
        fields: {
          topic: "orders",
          partition: 3,
          offset: 9007199254740,
          group: "billing",
          messageId: "orders-3-9007199254740",
          step: "x",
        },
        message: "handled",
      },
      {
        level: "error",
        fields: {
          topic: "orders",
          partition: 3,
          offset: 9007199254740,
          group: "override",
          messageId: "orders-3-9007199254740",
        },
        message: "failed",
      },
    ]);
    expect(msg.logger).toBe(msg.logger);
  });

  it("uses the base logger's own child when it has one", () => {
    const bindings: LogFields[] = [];
    const inner = captureLogger();
    const base: Logger = {
      ...captureLogger(),
      child(b) {
        bindings.push(b);
        return inner;
      },
    };
    const msg = makeMessage(makeRecord(), base);
    msg.logger.warn({}, "via child");
    expect(bindings).toEqual([
      { topic: "orders", partition: 3, offset: 9007199254740, group: "billing", messageId: "orders-3-9007199254740" },
    ]);
    expect(inner.lines).toEqual([{ level: "warn", fields: {}, message: "via child" }]);
  });

  it("lets the subscriber set the decoded body", () => {
    const msg = makeMessage() as KafkaMessage<{ a: number }>;
    msg.body = { a: 1 };
    expect(msg.body.a).toBe(1);
  });

  it("exposes params, context and empty deps from its origin", () => {
    const context = new ContextRegistry().set("db", "conn");
    const origin = makeOrigin(captureLogger(), { params: { tenant: "acme" }, context });
    const msg = new KafkaMessage<unknown, { tenant: string }, { user: string }>(origin, makeRecord());
    expect(msg.params).toEqual({ tenant: "acme" });
    expect(msg.params.tenant).toBe("acme");
    expect(msg.context).toBe(context);
    expect(msg.context.get("db")).toBe("conn");
    expect(msg.deps).toEqual({});
    msg.deps = { user: "u1" };
    expect(msg.deps.user).toBe("u1");
  });

  it("starts unsettled", () => {
    const origin = makeOrigin();
    const msg = new KafkaMessage(origin, makeRecord());
    expect(msg.settlement).toBeUndefined();
    expect(origin.settled).toEqual([]);
  });

  for (const first of ["ack", "nack", "reject"] as const) {
    it(`settles once with ${first}; the first call wins`, () => {
      const origin = makeOrigin();
      const msg = new KafkaMessage(origin, makeRecord());
      expect(msg[first]()).toBe(true);
      expect(msg.settlement).toBe(first);
      expect(origin.settled).toHaveLength(1);
      expect(origin.settled[0]!.message).toBe(msg);
      expect(origin.settled[0]!.settlement).toBe(first);
      expect(msg.ack()).toBe(false);
      expect(msg.nack()).toBe(false);
      expect(msg.reject()).toBe(false);
      expect(msg.settlement).toBe(first);
      expect(origin.settled).toHaveLength(1);
    });
  }

  it("ignores a settlement made from inside origin.settle", () => {
    const calls: Settlement[] = [];
    const origin = makeOrigin(captureLogger(), {
      settle: (message, settlement) => {
        calls.push(settlement);
        expect(message.settlement).toBe(settlement);
        expect(message.ack()).toBe(false);
      },
    });
    new KafkaMessage(origin, makeRecord()).nack();
    expect(calls).toEqual(["nack"]);
  });
});
