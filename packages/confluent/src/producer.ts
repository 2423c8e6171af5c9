/**
 * The driver's producer: librdkafka's native producer. Records are handed over one by one
 * (librdkafka batches them on the wire, `linger.ms`, and keeps each partition's records in the
 * order they were handed over), each with an opaque that its delivery report settles. When
 * librdkafka's queue is full, records wait here, in order, and are handed over as delivery
 * reports free room.
 */
import {
  type DriverConfig,
  type OutgoingRecord,
  type RecordMetadata,
  type Settle,
  toPublishError,
} from "@faststream/kafka";
import confluent, { type DeliveryReport, type LibrdKafkaError } from "@confluentinc/kafka-javascript";
import { producerConfig } from "./config.js";

/** librdkafka's "local queue full" (`queue.buffering.max.messages` or `.kbytes` reached). */
const QUEUE_FULL = confluent.CODES.ERRORS.ERR__QUEUE_FULL;

/** What this module reads of a delivery report. */
type Report = Pick<DeliveryReport, "partition" | "offset">;

/** A record's opaque: its delivery report calls `resolve` or `reject` on it. */
interface Opaque {
  resolve(report: Report): void;
  reject(err: unknown): void;
}

/** Headers in librdkafka's shape: one single-key object per header. */
function rdkafkaHeaders(headers: Record<string, Buffer | string>): Record<string, Buffer | string>[] | undefined {
  const out: Record<string, Buffer | string>[] = [];
  for (const k in headers) out.push({ [k]: headers[k]! });
  return out.length ? out : undefined;
}

function offsetOf(offset: number | null | undefined): string | undefined {
  return offset === null || offset === undefined || !(offset >= 0) ? undefined : String(offset);
}

/** Opaque of a single published record: tells its {@link Settle} the outcome. */
class Delivery implements Opaque {
  readonly #producer: ConfluentProducer;
  readonly #topic: string;
  readonly #settle: Settle;

  constructor(producer: ConfluentProducer, topic: string, settle: Settle) {
    this.#producer = producer;
    this.#topic = topic;
    this.#settle = settle;
  }

  resolve(report: Report): void {
    this.#settle.resolve({ topic: this.#topic, partition: report.partition ?? -1, offset: offsetOf(report.offset) });
    this.#producer.released();
  }

  reject(err: unknown): void {
    this.#settle.reject(toPublishError(this.#topic, err));
    this.#producer.released();
  }
}

/** Longest wait for queued records on disconnect (handing over, then delivery). */
const FLUSH_TIMEOUT_MS = 30_000;

/**
 * librdkafka's native producer, handed records in call order. A record librdkafka refuses
 * because its queue is full waits (with every later one) until delivery reports free room;
 * any other refusal fails that record alone. The records waiting here are publishes the caller
 * has in flight beyond librdkafka's queue: nothing is buffered that the caller does not await.
 */
export class ConfluentProducer {
  readonly #config: DriverConfig;
  #client: InstanceType<typeof confluent.Producer> | undefined;
  /** Records (with their opaques) waiting for room in librdkafka's queue, oldest first. */
  #waiting: [OutgoingRecord, Opaque][] = [];
  #head = 0;
  #drained: (() => void)[] = [];

  readonly #overrides: Readonly<Record<string, string | number | boolean>>;

  /** `overrides`: librdkafka properties set over the driver's own (tests shrink the queue). */
  constructor(config: DriverConfig, overrides: Readonly<Record<string, string | number | boolean>> = {}) {
    this.#config = config;
    this.#overrides = overrides;
  }

  /** Creates and connects the native producer (a metadata round trip bounded by the connect timeout). */
  async connect(): Promise<void> {
    const client = new confluent.Producer({ ...producerConfig(this.#config), ...this.#overrides } as never);
    const onError = (err: LibrdKafkaError): void => {
      const log = err.isFatal ? this.#config.logger.error : this.#config.logger.warn;
      log.call(this.#config.logger, { client: "confluent", err }, `confluent producer: ${err.message}`);
    };
    client.on("event.error", onError);
    // The client emits plain "error" too (a failed OAUTHBEARER refresh): never unhandled.
    client.on("error" as "event.error", onError);
    client.on("delivery-report", (err, report) => {
      const opaque = report.opaque as Opaque;
      if (err) opaque.reject(err);
      else opaque.resolve(report);
    });
    await new Promise<void>((resolve, reject) => {
      client.connect({ timeout: Math.max(1000, this.#config.connectTimeoutMs), allTopics: false }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    client.setPollInBackground(true);
    this.#client = client;
  }

  /**
   * Hands over what still waits for room (up to the flush bound; what is left then fails),
   * flushes librdkafka's queue, and disconnects.
   */
  async disconnect(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    this.#abandon(new Error("the producer disconnected before the record could be queued"));
    await new Promise<void>((resolve) => client.flush(FLUSH_TIMEOUT_MS, () => resolve()));
    this.#client = undefined;
    await new Promise<void>((resolve) => client.disconnect(() => resolve()));
  }

  /** Hands one record over (or queues it behind those waiting); `settle` hears its outcome, errors as `PublishError`s. */
  produce(record: OutgoingRecord, settle: Settle): void {
    this.#hand(record, new Delivery(this, record.topic, settle));
  }

  /** Publishes records; resolves with one metadata per record once all were acknowledged. */
  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    return Promise.all(
      records.map(
        (record) => new Promise<RecordMetadata>((resolve, reject) => this.produce(record, { resolve, reject })),
      ),
    );
  }

  /** Resolves once no record waits here (every one was handed to librdkafka or failed). */
  idle(): Promise<void> {
    if (this.#head === this.#waiting.length) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Fails every record still waiting (the producer is going away). */
  #abandon(reason: Error): void {
    const waiting = this.#waiting.slice(this.#head);
    this.#waiting = [];
    this.#head = 0;
    for (const [, opaque] of waiting) opaque.reject(reason);
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** A delivery report arrived: room was freed in librdkafka's queue. */
  released(): void {
    if (this.#head < this.#waiting.length) this.#drain();
  }

  #hand(record: OutgoingRecord, opaque: Opaque): void {
    if (this.#head < this.#waiting.length || !this.#produce(record, opaque)) this.#waiting.push([record, opaque]);
  }

  /** Hands one record over; false if librdkafka's queue is full (the record was not taken). */
  #produce(record: OutgoingRecord, opaque: Opaque): boolean {
    const producer = this.#client;
    if (!producer) {
      opaque.reject(new Error("the producer is not connected"));
      return true;
    }
    try {
      producer.produce(
        record.topic,
        record.partition ?? -1,
        record.value,
        record.key,
        record.timestamp !== undefined ? Number(record.timestamp) : null,
        opaque,
        rdkafkaHeaders(record.headers) as never,
      );
    } catch (err) {
      if ((err as { code?: unknown }).code === QUEUE_FULL) return false;
      opaque.reject(err);
    }
    return true;
  }

  #drain(): void {
    const waiting = this.#waiting;
    while (this.#head < waiting.length) {
      const [record, opaque] = waiting[this.#head]!;
      if (!this.#produce(record, opaque)) break;
      waiting[this.#head++] = undefined as never;
    }
    if (this.#head === waiting.length) {
      this.#waiting = [];
      this.#head = 0;
      for (const resolve of this.#drained.splice(0)) resolve();
    } else if (this.#head >= 4096 && this.#head * 2 >= waiting.length) {
      this.#waiting = waiting.slice(this.#head);
      this.#head = 0;
    }
  }
}
