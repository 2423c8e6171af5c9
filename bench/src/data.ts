/**
 * Runner-side data work on the local cluster: filling input topics before a run and watching
 * an output topic's end offsets (so a pipeline's end is measured outside the process measured).
 */
import confluent from "@confluentinc/kafka-javascript";
import { Kafka, logLevel } from "kafkajs";
import type { UserRegistered } from "./protocol.js";

/** A ~100-byte JSON body for the pipeline/consume input. */
export function userBody(i: number): Buffer {
  const u: UserRegistered = { user: `user-${i % 1000}`, user_id: i, email: `user${i}@example.com` };
  const json = JSON.stringify(u);
  // Pad to ~100 bytes with a field the schema ignores.
  return Buffer.from(`${json.slice(0, -1)},"note":"${"x".repeat(Math.max(0, 88 - json.length))}"}`);
}

/** A body of exactly `bytes` bytes (JSON string) for the RSS backlog. */
export function paddedBody(i: number, bytes: number): Buffer {
  const head = `{"i":${i},"pad":"`;
  return Buffer.from(`${head}${"p".repeat(Math.max(0, bytes - head.length - 2))}"}`);
}

/**
 * Writes `count` messages round-robin over `partitions` with librdkafka's native producer
 * (the fastest way to fill a topic here), and waits until all are acknowledged.
 */
export async function fill(
  brokers: string,
  topic: string,
  partitions: number,
  count: number,
  body: (i: number) => Buffer,
): Promise<void> {
  const producer = new confluent.Producer({
    "bootstrap.servers": brokers,
    "linger.ms": 5,
    "batch.num.messages": 10000,
    "queue.buffering.max.messages": 500000,
    "queue.buffering.max.kbytes": 1048576,
    dr_cb: true,
  });
  await new Promise<void>((resolve, reject) => {
    producer.connect({}, (err) => (err ? reject(err) : resolve()));
  });
  let acked = 0;
  let failed: Error | undefined;
  const allAcked = new Promise<void>((resolve) => {
    producer.on("delivery-report", (err) => {
      if (err) failed ??= new Error(`delivery failed: ${err.message}`);
      if (++acked === count) resolve();
    });
  });
  producer.setPollInterval(20);
  for (let i = 0; i < count; i++) {
    for (;;) {
      try {
        producer.produce(topic, i % partitions, body(i), null);
        break;
      } catch {
        // Local queue full: let delivery reports drain it.
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
  await allAcked;
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  if (failed) throw failed;
}

/** Watches end offsets of topics through a kafkajs admin client. */
export class Watermarks {
  readonly #admin;

  constructor(brokers: string) {
    this.#admin = new Kafka({
      brokers: brokers.split(","),
      clientId: "bench-watch",
      logLevel: logLevel.NOTHING,
    }).admin();
  }

  connect(): Promise<void> {
    return this.#admin.connect();
  }

  /** Sum of the topic's end offsets. */
  async total(topic: string): Promise<number> {
    const offsets = await this.#admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  }

  /**
   * Polls every `everyMs` until the topic holds `count` messages; resolves with the time it saw
   * that (epoch ms), or rejects after `timeoutMs`.
   */
  async until(topic: string, count: number, timeoutMs: number, everyMs = 5): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.total(topic)) >= count) return performance.timeOrigin + performance.now();
      if (Date.now() > deadline) throw new Error(`${topic} did not reach ${count} messages within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  disconnect(): Promise<void> {
    return this.#admin.disconnect();
  }
}
