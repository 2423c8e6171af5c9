import { autoCodec, EncodeError, jsonCodec, SetupError, StateError, stringCodec } from "@faststream/core";
import { describe, expect, it } from "vitest";
import type { OutgoingRecord, RecordMetadata } from "./driver.js";
import type { KafkaPublisherOptions } from "./options.js";
import { buildRecord, createPublisher, type PublisherBinding, publishersOf, type RecordSink } from "./publisher.js";
import { type KafkaMiddleware, Scope } from "./scope.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Sent = { record: OutgoingRecord; body: unknown; middlewares: readonly KafkaMiddleware[]; unconfirmed?: true };

/** A binding whose sink records what it is asked to send. */
function recordingSink(
  scope: Scope = new Scope(),
  minimalHeaders = false,
): PublisherBinding & { records: OutgoingRecord[]; sent: Sent[]; bound: RecordSink | undefined } {
  const records: OutgoingRecord[] = [];
  const sent: Sent[] = [];
  const sink: RecordSink = {
    minimalHeaders,
    async sendThrough(record, body, middlewares): Promise<RecordMetadata> {
      records.push(record);
      sent.push({ record, body, middlewares });
      return { topic: record.topic, partition: record.partition ?? 0, offset: String(records.length - 1) };
    },
    async sendUnconfirmed(record, body, middlewares): Promise<undefined> {
      records.push(record);
      sent.push({ record, body, middlewares, unconfirmed: true });
      return undefined;
    },
    async request() {
      throw new Error("not used here");
    },
  };
  const binding = { scope, records, sent, bound: sink as RecordSink | undefined, sink: () => binding.bound };
  return binding;
}

describe("buildRecord", () => {
  it("encodes the body with the codec and sets content-type and a UUID correlation_id", () => {
    const record = buildRecord("out", { a: 1 }, undefined, undefined, autoCodec);
    expect(record.topic).toBe("out");
    expect(record.value?.toString("utf8")).toBe('{"a":1}');
    expect(record.key).toBeNull();
    expect(record.headers["content-type"]).toBe("application/json");
    expect(record.headers["correlation_id"]).toMatch(UUID);
    expect(Object.hasOwn(record.headers, "reply_to")).toBe(false);
    expect("partition" in record).toBe(false);
    expect("timestamp" in record).toBe(false);
  });

  it("uses the codec's content type and omits it for a tombstone", () => {
    expect(buildRecord("t", "hi", undefined, undefined, autoCodec).headers["content-type"]).toBe("text/plain");
    expect(buildRecord("t", "hi", undefined, undefined, jsonCodec).headers["content-type"]).toBe("application/json");
    const tombstone = buildRecord("t", null, { key: "k" }, undefined, autoCodec);
    expect(tombstone.value).toBeNull();
    expect(Object.hasOwn(tombstone.headers, "content-type")).toBe(false);
  });

  it("generates a fresh correlation_id per record", () => {
    const a = buildRecord("t", 1, undefined, undefined, autoCodec).headers["correlation_id"];
    const b = buildRecord("t", 1, undefined, undefined, autoCodec).headers["correlation_id"];
    expect(a).not.toBe(b);
  });

  it("respects an explicit correlation id, publish-level over default", () => {
    expect(
      buildRecord("t", 1, { correlationId: "call" }, { correlationId: "dflt" }, autoCodec).headers["correlation_id"],
    ).toBe("call");
    expect(buildRecord("t", 1, {}, { correlationId: "dflt" }, autoCodec).headers["correlation_id"]).toBe("dflt");
  });

  it("sets reply_to, publish-level over default", () => {
    expect(buildRecord("t", 1, { replyTo: "replies" }, undefined, autoCodec).headers["reply_to"]).toBe("replies");
    expect(buildRecord("t", 1, { replyTo: "call" }, { replyTo: "dflt" }, autoCodec).headers["reply_to"]).toBe("call");
    expect(buildRecord("t", 1, undefined, { replyTo: "dflt" }, autoCodec).headers["reply_to"]).toBe("dflt");
  });

  it("merges user headers over defaults and converts bytes to Buffers", () => {
    const record = buildRecord(
      "t",
      1,
      { headers: { shared: "call", only: new Uint8Array([1, 2]), dropped: undefined } },
      { headers: { shared: "dflt", base: "b" } },
      autoCodec,
    );
    expect(record.headers["shared"]).toBe("call");
    expect(record.headers["base"]).toBe("b");
    expect(Buffer.isBuffer(record.headers["only"])).toBe(true);
    expect([...(record.headers["only"] as Buffer)]).toEqual([1, 2]);
    expect(Object.hasOwn(record.headers, "dropped")).toBe(false);
    expect(record.headers["correlation_id"]).toMatch(UUID);
  });

  it("picks the key: publish-level, then default, then null; an explicit null wins", () => {
    expect(buildRecord("t", 1, { key: "call" }, { key: "dflt" }, autoCodec).key).toBe("call");
    expect(buildRecord("t", 1, {}, { key: "dflt" }, autoCodec).key).toBe("dflt");
    expect(buildRecord("t", 1, { key: null }, { key: "dflt" }, autoCodec).key).toBeNull();
    expect(buildRecord("t", 1, undefined, undefined, autoCodec).key).toBeNull();
    const bufKey = Buffer.from("bytes-key");
    expect(buildRecord("t", 1, { key: bufKey }, undefined, autoCodec).key).toBe(bufKey);
  });

  it("sets partition (0 included) with publish-level precedence", () => {
    expect(buildRecord("t", 1, { partition: 0 }, { partition: 3 }, autoCodec).partition).toBe(0);
    expect(buildRecord("t", 1, undefined, { partition: 3 }, autoCodec).partition).toBe(3);
  });

  it("sets the timestamp from a Date or milliseconds as a decimal string", () => {
    const date = new Date("2024-05-06T07:08:09.010Z");
    expect(buildRecord("t", 1, { timestamp: date }, undefined, autoCodec).timestamp).toBe(String(date.getTime()));
    expect(buildRecord("t", 1, { timestamp: 1_700_000_000_123 }, undefined, autoCodec).timestamp).toBe("1700000000123");
    expect(buildRecord("t", 1, { timestamp: 5 }, { timestamp: date }, autoCodec).timestamp).toBe("5");
    expect(buildRecord("t", 1, undefined, { timestamp: date }, autoCodec).timestamp).toBe(String(date.getTime()));
  });

  it("minimal: no content-type, a correlation_id only when given; user headers and reply_to stay", () => {
    const bare = buildRecord("t", { a: 1 }, undefined, undefined, autoCodec, true);
    expect(bare.headers).toEqual({});
    expect(bare.value?.toString()).toBe('{"a":1}');
    const given = buildRecord(
      "t",
      "x",
      { correlationId: "c1", replyTo: "r", headers: { h: "v" } },
      undefined,
      autoCodec,
      true,
    );
    expect(given.headers).toEqual({ h: "v", correlation_id: "c1", reply_to: "r" });
    const viaDefaults = buildRecord("t", 1, undefined, { correlationId: "c2" }, autoCodec, true);
    expect(viaDefaults.headers).toEqual({ correlation_id: "c2" });
  });

  it("propagates codec encode errors", () => {
    expect(() => buildRecord("t", undefined, undefined, undefined, autoCodec)).toThrow(EncodeError);
  });
});

describe("createPublisher", () => {
  it("publishes through the sink with the publisher's defaults", async () => {
    const sink = recordingSink();
    const options: KafkaPublisherOptions = {
      key: "dk",
      headers: { source: "svc" },
      replyTo: "rep",
      partition: 2,
      description: "d",
    };
    const publisher = createPublisher(sink, "events", options);
    expect(publisher.topic).toBe("events");
    expect(publisher.options).toBe(options);
    const meta = await publisher.publish({ n: 1 });
    expect(meta).toEqual({ topic: "events", partition: 2, offset: "0" });
    expect(sink.records).toHaveLength(1);
    const [record] = sink.records;
    expect(record).toMatchObject({ topic: "events", key: "dk", partition: 2 });
    expect(record!.value?.toString()).toBe('{"n":1}');
    expect(record!.headers).toMatchObject({ source: "svc", reply_to: "rep", "content-type": "application/json" });
    expect(record!.headers).not.toHaveProperty("description");
  });

  it("lets per-call options override the defaults", async () => {
    const sink = recordingSink();
    const publisher = createPublisher(sink, "events", { key: "dk", headers: { a: "1", b: "1" }, codec: "json" });
    await publisher.publish("hello", { key: null, headers: { b: "2" }, correlationId: "cid", partition: 0 });
    const [record] = sink.records;
    expect(record!.key).toBeNull();
    expect(record!.partition).toBe(0);
    expect(record!.headers).toMatchObject({
      a: "1",
      b: "2",
      correlation_id: "cid",
      "content-type": "application/json",
    });
    expect(record!.value?.toString()).toBe('"hello"');
  });

  it("uses the publisher codec by default and a per-call codec when given", async () => {
    const sink = recordingSink();
    const publisher = createPublisher(sink, "t", { codec: "string" });
    await publisher.publish(42);
    await publisher.publish({ a: 1 }, { codec: jsonCodec });
    expect(sink.records[0]!.value?.toString()).toBe(stringCodec.encode(42).value?.toString());
    expect(sink.records[0]!.headers["content-type"]).toBe("text/plain");
    expect(sink.records[1]!.value?.toString()).toBe('{"a":1}');
    expect(sink.records[1]!.headers["content-type"]).toBe("application/json");
  });

  it("rejects invalid per-call options before sending", async () => {
    const sink = recordingSink();
    const publisher = createPublisher(sink, "t");
    await expect(async () => publisher.publish(1, { partition: -1 })).rejects.toThrow(SetupError);
    await expect(async () => publisher.publish(1, { description: "no" } as KafkaPublisherOptions)).rejects.toThrow(
      SetupError,
    );
    expect(sink.records).toEqual([]);
  });

  it("noConfirm goes to the sink's unconfirmed send, with the defaults and the middleware chain", async () => {
    const sink = recordingSink();
    const publisher = createPublisher(sink, "events", { key: "dk" });
    await expect(publisher.publish({ n: 1 }, { noConfirm: true })).resolves.toBeUndefined();
    await publisher.publish({ n: 2 }, { noConfirm: false });
    expect(sink.sent.map((s) => s.unconfirmed ?? false)).toEqual([true, false]);
    expect(sink.records[0]).toMatchObject({ topic: "events", key: "dk" });
    expect(sink.records[0]!.headers).not.toHaveProperty("noConfirm");
    await expect(async () => publisher.publish(1, { noConfirm: 1 as unknown as true })).rejects.toThrow(SetupError);
    expect(sink.records).toHaveLength(2);
    expect(() => createPublisher(sink, "t", { noConfirm: true } as KafkaPublisherOptions)).toThrow(SetupError);
  });

  it("throws SetupError at creation for invalid options", () => {
    const sink = recordingSink();
    expect(() => createPublisher(sink, "t", { partition: -1 })).toThrow(SetupError);
    expect(() => createPublisher(sink, "t", { codec: "nope" as "json" })).toThrow(SetupError);
    expect(() => createPublisher(sink, "t", { keyy: "x" } as unknown as KafkaPublisherOptions)).toThrow(/"keyy"/);
  });

  it("wraps a handler function: returns it unchanged and registers itself", () => {
    const sink = recordingSink();
    const first = createPublisher(sink, "a");
    const second = createPublisher(sink, "b");
    const handler = (body: unknown) => body;
    expect(publishersOf(handler)).toEqual([]);
    expect(first(handler)).toBe(handler);
    expect(second(handler)).toBe(handler);
    expect(publishersOf(handler)).toEqual([first, second]);
    expect(publishersOf(() => undefined)).toEqual([]);
    expect(sink.records).toEqual([]);
  });

  it("works as a method decorator and refuses other decorator kinds", () => {
    const publisher = createPublisher(recordingSink(), "a");
    const method = function handle(): number {
      return 1;
    };
    const methodContext = { kind: "method", name: "handle" } as unknown as ClassMethodDecoratorContext;
    expect(publisher(method, methodContext)).toBe(method);
    expect(publishersOf(method)).toEqual([publisher]);
    const fieldContext = { kind: "field", name: "x" } as unknown as ClassMethodDecoratorContext;
    expect(() => publisher(() => 1, fieldContext)).toThrow(/decorates methods, not fields/);
  });

  it("prefixes the topic with the scope's full prefix, following later prefix changes", async () => {
    const root = new Scope({ prefix: "v1." });
    const router = new Scope({ prefix: "orders." }, root);
    const binding = recordingSink(router);
    const publisher = createPublisher(binding, "created");
    expect(publisher.topic).toBe("v1.orders.created");
    await publisher.publish(1);
    expect(binding.records[0]!.topic).toBe("v1.orders.created");
    router.prefix = `eu.${router.prefix}`;
    expect(publisher.topic).toBe("v1.eu.orders.created");
    expect(publisher.prepare(1).topic).toBe("v1.eu.orders.created");
  });

  it("sends the body through the scope's middleware chain, outer to inner", async () => {
    const outer: KafkaMiddleware = {};
    const inner: KafkaMiddleware = {};
    const root = new Scope({ middlewares: [outer] });
    const binding = recordingSink(new Scope({ middlewares: [inner] }, root));
    const body = { n: 1 };
    await createPublisher(binding, "t").publish(body);
    expect(binding.sent).toHaveLength(1);
    expect(binding.sent[0]!.body).toBe(body);
    expect(binding.sent[0]!.middlewares).toEqual([outer, inner]);
  });

  it("prepare builds the publish record without sending", () => {
    const binding = recordingSink(new Scope({ prefix: "p." }));
    const publisher = createPublisher(binding, "t", { key: "dk", headers: { a: "1" } });
    const record = publisher.prepare({ x: 1 }, { correlationId: "cid", partition: 1 });
    expect(record).toMatchObject({ topic: "p.t", key: "dk", partition: 1 });
    expect(record.headers).toMatchObject({ a: "1", correlation_id: "cid", "content-type": "application/json" });
    expect(record.value?.toString()).toBe('{"x":1}');
    expect(binding.records).toEqual([]);
    expect(() => publisher.prepare(1, { partition: -1 })).toThrow(SetupError);
  });

  it("prepare follows the broker's frameworkHeaders", () => {
    const minimal = createPublisher(recordingSink(new Scope(), true), "t", { headers: { a: "1" } });
    expect(minimal.prepare({ x: 1 }).headers).toEqual({ a: "1" });
    expect(minimal.prepare({ x: 1 }, { correlationId: "cid" }).headers).toEqual({ a: "1", correlation_id: "cid" });
    const full = createPublisher(recordingSink(new Scope(), false), "t");
    expect(Object.keys(full.prepare({ x: 1 }).headers).sort()).toEqual(["content-type", "correlation_id"]);
  });

  it("uses the nearest scope codec unless the publisher or the call sets one", () => {
    const scope = new Scope({ codec: "string" }, new Scope({ codec: "json" }));
    const viaScope = createPublisher(recordingSink(scope), "t");
    expect(viaScope.prepare({ a: 1 }).headers["content-type"]).toBe("text/plain");
    expect(viaScope.prepare({ a: 1 }, { codec: "json" }).headers["content-type"]).toBe("application/json");
    const own = createPublisher(recordingSink(scope), "t", { codec: "json" });
    expect(own.prepare("hi").value?.toString()).toBe('"hi"');
  });

  it("fails with a StateError while not bound to a broker", async () => {
    const binding = recordingSink();
    binding.bound = undefined;
    const publisher = createPublisher(binding, "orphan");
    await expect(publisher.publish(1)).rejects.toThrow(StateError);
    await expect(publisher.publish(1)).rejects.toThrow(/"orphan"/);
  });
});
