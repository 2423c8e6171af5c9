/**
 * The driver's producer: librdkafka's native producer. Records are handed over one by one
 * (librdkafka batches them on the wire, `linger.ms`, and keeps each partition's records in the
 * order they were handed over), each with an opaque that its delivery report settles. When
 * librdkafka's queue is full, records wait here, in order, and are handed over as delivery
 * reports free room.
 */
import {
  BatchSettle,
  type DriverConfig,
  NO_METADATA,
  type OutgoingRecord,
  type RecordMetadata,
  type Settle,
  toPublishError,
} from "@faststream/kafka";
import confluent, { type LibrdKafkaError } from "@confluentinc/kafka-javascript";
import { producerConfig } from "./config.js";
import { type LibrdkafkaLog, ProducerIdWatch } from "./producer-id.js";

/** librdkafka's "local queue full" (`queue.buffering.max.messages` or `.kbytes` reached). */
const QUEUE_FULL = confluent.CODES.ERRORS.ERR__QUEUE_FULL;

/**
 * Headers in librdkafka's shape (one single-key object per header), for one `produce()` call.
 * The list and its objects are reused from call to call: librdkafka copies keys and values
 * before `produce()` returns, so a publish allocates nothing for its headers here.
 */
class HeaderCells {
  readonly #list: Record<string, Buffer | string>[] = [];
  readonly #cells = new Map<string, Record<string, Buffer | string>>();

  /** `headers` as librdkafka takes them (`undefined` when there are none); valid until the next call. */
  fill(headers: Record<string, Buffer | string>): Record<string, Buffer | string>[] | undefined {
    const list = this.#list;
    // Overwritten in place: setting the length to 0 would drop the backing store every call.
    let n = 0;
    for (const k in headers) {
      let cell = this.#cells.get(k);
      if (cell === undefined) {
        cell = { [k]: "" };
        // Header names are few in practice; past this many, cells are not kept.
        if (this.#cells.size < MAX_CACHED_HEADER_NAMES) this.#cells.set(k, cell);
      }
      cell[k] = headers[k]!;
      list[n++] = cell;
    }
    if (list.length !== n) list.length = n;
    return n > 0 ? list : undefined;
  }

  /** Drops the values the cells still point to (they would keep the last payload's headers alive). */
  clear(): void {
    for (const [k, cell] of this.#cells) cell[k] = "";
  }
}

/** Header names whose cells {@link HeaderCells} keeps. */
const MAX_CACHED_HEADER_NAMES = 64;

function offsetOf(offset: number | null | undefined): string | undefined {
  return offset === null || offset === undefined || !(offset >= 0) ? undefined : String(offset);
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
  #waiting: [OutgoingRecord, Settle][] = [];
  readonly #headers = new HeaderCells();
  #head = 0;
  #drained: (() => void)[] = [];
  /** Set while connected with idempotence on: when librdkafka got its producer id. */
  #producerId: ProducerIdWatch | undefined;

  readonly #overrides: Readonly<Record<string, string | number | boolean>>;

  /** `overrides`: librdkafka properties set over the driver's own (tests shrink the queue). */
  constructor(config: DriverConfig, overrides: Readonly<Record<string, string | number | boolean>> = {}) {
    this.#config = config;
    this.#overrides = overrides;
  }

  /** Creates and connects the native producer (a metadata round trip bounded by the connect timeout). */
  async connect(): Promise<void> {
    const settings: Record<string, unknown> = { ...producerConfig(this.#config), ...this.#overrides };
    const watch = settings["enable.idempotence"] === true ? new ProducerIdWatch(this.#config.logger) : undefined;
    // The producer id shows only in the eos debug context (see ProducerIdWatch).
    if (watch) settings["debug"] = "eos";
    const client = new confluent.Producer(settings as never);
    if (watch) client.on("event.log", (log: LibrdkafkaLog) => watch.onLog(log));
    const onError = (err: LibrdKafkaError): void => {
      const log = err.isFatal ? this.#config.logger.error : this.#config.logger.warn;
      log.call(this.#config.logger, { client: "confluent", err }, `confluent producer: ${err.message}`);
    };
    client.on("event.error", onError);
    // The client emits plain "error" too (a failed OAUTHBEARER refresh): never unhandled.
    client.on("error" as "event.error", onError);
    // Each record's opaque is the Settle of its publish.
    client.on("delivery-report", (err, report) => {
      const settle = report.opaque as Settle;
      if (err) settle.reject(toPublishError(report.topic, err));
      else if (settle.ignoresMetadata === true) settle.resolve(NO_METADATA);
      else settle.resolve({ topic: report.topic, partition: report.partition ?? -1, offset: offsetOf(report.offset) });
      this.released();
    });
    await new Promise<void>((resolve, reject) => {
      client.connect({ timeout: Math.max(1000, this.#config.connectTimeoutMs), allTopics: false }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    client.setPollInBackground(true);
    this.#client = client;
    this.#producerId = watch;
  }

  /** True while connected with idempotence on and librdkafka has reported the producer id. */
  get hasProducerId(): boolean {
    return this.#producerId?.assigned ?? false;
  }

  /**
   * Resolves once librdkafka's idempotent producer has its producer id (it holds every record
   * until then), or after the connect timeout; at once without idempotence.
   */
  async ready(): Promise<void> {
    const watch = this.#producerId;
    if (!watch || watch.assigned) return;
    const timeoutMs = this.#config.connectTimeoutMs;
    if (!(await watch.wait(timeoutMs)) && this.#producerId === watch) {
      this.#config.logger.warn(
        { client: "confluent" },
        `confluent producer: no idempotent producer id within ${timeoutMs} ms; publishes wait for it`,
      );
    }
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
    this.#producerId?.settle(false);
    this.#producerId = undefined;
    this.#headers.clear();
    await new Promise<void>((resolve) => client.disconnect(() => resolve()));
  }

  /** Hands one record over (or queues it behind those waiting); `settle` hears its outcome, errors as `PublishError`s. */
  produce(record: OutgoingRecord, settle: Settle): void {
    this.#hand(record, settle);
  }

  /** Publishes records; resolves with one metadata per record once all were acknowledged. */
  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    // One promise for the batch: each record's opaque is a small settle, not a promise.
    const batch = new BatchSettle(records.length);
    for (let i = 0; i < records.length; i++) this.produce(records[i]!, batch.record(i));
    return batch.promise;
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
    for (const [record, settle] of waiting) settle.reject(toPublishError(record.topic, reason));
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** A delivery report arrived: room was freed in librdkafka's queue. */
  released(): void {
    if (this.#head < this.#waiting.length) this.#drain();
  }

  #hand(record: OutgoingRecord, settle: Settle): void {
    if (this.#head < this.#waiting.length || !this.#produce(record, settle)) this.#waiting.push([record, settle]);
  }

  /** Hands one record over; false if librdkafka's queue is full (the record was not taken). */
  #produce(record: OutgoingRecord, settle: Settle): boolean {
    const producer = this.#client;
    if (!producer) {
      settle.reject(toPublishError(record.topic, new Error("the producer is not connected")));
      return true;
    }
    try {
      producer.produce(
        record.topic,
        record.partition ?? -1,
        record.value,
        record.key,
        record.timestamp !== undefined ? Number(record.timestamp) : null,
        settle,
        this.#headers.fill(record.headers) as never,
      );
    } catch (err) {
      if ((err as { code?: unknown }).code === QUEUE_FULL) return false;
      settle.reject(toPublishError(record.topic, err));
    }
    return true;
  }

  #drain(): void {
    const waiting = this.#waiting;
    while (this.#head < waiting.length) {
      const [record, settle] = waiting[this.#head]!;
      if (!this.#produce(record, settle)) break;
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
