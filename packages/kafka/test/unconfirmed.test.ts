// `noConfirm` publishes: accepted without a promise per record, bounded by maxUnconfirmed,
// failures logged and reported by flush(), refusals still rejecting the call.
import { PublishError, SetupError, StateError } from "@faststream/core";
import { describe, expect, it } from "vitest";
import type { OutgoingRecord, RecordMetadata } from "../src/driver.js";
import {
  type KafkaBrokerOptions,
  KafkaBrokerBase,
  type KafkaMiddleware,
  MemoryDriver,
  TestKafkaBroker,
} from "../src/index.js";
import { captureLogger, type Line } from "./pipeline-harness.js";
import { settled } from "./turns.js";

/** A send the test acknowledges (or fails) by hand. */
interface HeldSend {
  records: readonly OutgoingRecord[];
  ack(): void;
  fail(err: Error): void;
}

/** The in-memory driver, except that every send waits until the test settles it. */
class HeldDriver extends MemoryDriver {
  readonly sends: HeldSend[] = [];

  override send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      this.sends.push({
        records,
        ack: () => resolve(records.map((r, i) => ({ topic: r.topic, partition: 0, offset: String(i) }))),
        fail: reject,
      });
    });
  }

  /** Records handed to sends so far, in order. */
  sent(): string[] {
    return this.sends.flatMap((s) => s.records.map((r) => r.value?.toString() ?? ""));
  }
}

/** The next send the broker starts (sends are started after the turn's publishes). */
async function nextSend(driver: HeldDriver, index: number): Promise<HeldSend> {
  await expect.poll(() => driver.sends.length).toBeGreaterThan(index);
  return driver.sends[index]!;
}

async function started(options: KafkaBrokerOptions = {}) {
  const driver = new HeldDriver();
  const lines: Line[] = [];
  const broker = new KafkaBrokerBase("localhost:9092", { logger: captureLogger(lines), ...options }, () => driver);
  await broker.connect();
  return { broker, driver, lines };
}

describe("publish with noConfirm", () => {
  it("resolves with nothing before the acknowledgement; flush() waits for every one", async () => {
    const { broker, driver } = await started();
    const calls = [0, 1, 2].map((i) => broker.publish(`m${i}`, "events", { noConfirm: true, codec: "string" }));
    for (const call of calls) expect(await settled(call)).toBe(true);
    await expect(Promise.all(calls)).resolves.toEqual([undefined, undefined, undefined]);
    const flushed = broker.flush();
    const send = await nextSend(driver, 0);
    expect(driver.sent()).toEqual(["m0", "m1", "m2"]);
    expect(await settled(flushed)).toBe(false);
    send.ack();
    await expect(flushed).resolves.toBeUndefined();
    // Nothing in flight: resolves at once.
    await expect(broker.flush()).resolves.toBeUndefined();
  });

  it("waits for room past maxUnconfirmed, and is freed once a quarter was acknowledged", async () => {
    const { broker, driver } = await started({ maxUnconfirmed: 4 });
    const first = [0, 1, 2].map((i) => broker.publish(i, "events", { noConfirm: true }));
    await Promise.all(first);
    // The 4th reaches the limit: its promise waits, and so does a 5th.
    const fourth = broker.publish(3, "events", { noConfirm: true });
    const fifth = broker.publish(4, "events", { noConfirm: true });
    expect(await settled(fourth)).toBe(false);
    expect(await settled(fifth)).toBe(false);
    // The first send took the 5 records published in that turn; acknowledging them frees room.
    (await nextSend(driver, 0)).ack();
    await expect(Promise.all([fourth, fifth])).resolves.toEqual([undefined, undefined]);
    await broker.flush();
    expect(driver.sent()).toEqual(["0", "1", "2", "3", "4"]);
  });

  it("logs a failed delivery with its topic and reports it to the next flush only", async () => {
    const { broker, driver, lines } = await started();
    await broker.publish("a", "events", { noConfirm: true });
    await broker.publish("b", "events", { noConfirm: true });
    const flushed = broker.flush();
    (await nextSend(driver, 0)).fail(new Error("leader not available"));
    const err = await flushed.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).topic).toBe("events");
    expect((err as Error).message).toContain("2 unconfirmed publishes failed");
    expect((err as Error).message).toContain("leader not available");
    expect(((err as Error).cause as PublishError).topic).toBe("events");
    const logged = lines.filter((l) => l.level === "error");
    expect(logged).toHaveLength(2);
    expect(logged[0]!.message).toContain('"events"');
    expect(logged[0]!.message).toContain("leader not available");
    // Reported once: the next flush has nothing to report.
    await expect(broker.flush()).resolves.toBeUndefined();
    await broker.publish("c", "events", { noConfirm: true });
    const again = broker.flush();
    (await nextSend(driver, 1)).ack();
    await expect(again).resolves.toBeUndefined();
  });

  it("rejects the call itself when the record is refused at once, and does not count it", async () => {
    const { broker } = await started({ maxRecordBytes: 10 });
    const big = await broker.publish("x".repeat(50), "events", { noConfirm: true }).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(PublishError);
    expect((big as Error).message).toContain("maxRecordBytes");
    const bad = await broker.publish(1, "events", { noConfirm: "yes" as unknown as true }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(SetupError);
    await expect(broker.flush()).resolves.toBeUndefined();
    const idle = new KafkaBrokerBase("localhost:9092", {}, () => new HeldDriver());
    await expect(idle.publish(1, "events", { noConfirm: true })).rejects.toBeInstanceOf(StateError);
    // A batch item is one record's options: noConfirm is not one of them.
    const [item] = await broker.publishBatch([{ body: 1, noConfirm: true } as never], "events");
    expect(!item!.ok && item!.error).toBeInstanceOf(SetupError);
  });

  it("goes through publish middlewares, as a confirmed publish does", async () => {
    const seen: string[] = [];
    const mw: KafkaMiddleware = {
      publish: async (next, call) => {
        seen.push(call.topic);
        return next();
      },
    };
    const { broker, driver } = await started({ middlewares: [mw] });
    await expect(broker.publish("a", "events", { noConfirm: true })).resolves.toBeUndefined();
    const out = broker.publisher("out");
    await expect(out.publish("b", { noConfirm: true })).resolves.toBeUndefined();
    expect(seen).toEqual(["events", "out"]);
    const flushed = broker.flush();
    (await nextSend(driver, 0)).ack();
    await flushed;
    expect(driver.sent()).toEqual(["a", "b"]);
  });

  it("stop() delivers what is still unconfirmed before disconnecting", async () => {
    const { broker, driver } = await started();
    await broker.publish("a", "events", { noConfirm: true });
    const stopping = broker.stop();
    (await nextSend(driver, 0)).ack();
    await stopping;
    await expect(broker.flush()).resolves.toBeUndefined();
    expect(driver.sent()).toEqual(["a"]);
  });

  it("works with TestKafkaBroker: recorded, handled, without waiting for the handler", async () => {
    const broker = new KafkaBrokerBase("localhost:9092", {}, () => new HeldDriver());
    const handle = broker.subscriber("in").handle((body: unknown) => body);
    await TestKafkaBroker.run(broker, async (tb) => {
      await expect(broker.publish({ n: 1 }, "in", { noConfirm: true })).resolves.toBeUndefined();
      await broker.flush();
      const [call] = await tb.waitForCall(handle);
      expect(call!.body).toEqual({ n: 1 });
      expect(tb.published("in")).toHaveLength(1);
      // A request always waits for its publish: noConfirm is not a request option.
      const request = broker.request(1, "in", { noConfirm: true, timeoutMs: 1_000 } as never);
      await expect(request).rejects.toBeInstanceOf(SetupError);
    });
  });
});
