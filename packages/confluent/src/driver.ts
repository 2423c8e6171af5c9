/**
 * The confluent driver: what differs between `@confluentinc/kafka-javascript` (librdkafka) and
 * the other clients, behind the driver contract of `@faststream/kafka`.
 */
import type { Logger } from "@faststream/core";
import type {
  ConsumerCallbacks,
  ConsumerSpec,
  DriverCapabilities,
  DriverConfig,
  DriverConsumer,
  KafkaDriver,
  OutgoingRecord,
  RecordMetadata,
  Subscription,
} from "@faststream/kafka";
import { toLibrdkafkaPattern } from "./pattern.js";
import confluent from "@confluentinc/kafka-javascript";
import { ConfluentConsumer } from "./consumer.js";
import { librdkafkaSecurity } from "./security.js";

const { KafkaJS } = confluent;
type ConfluentKafka = InstanceType<typeof KafkaJS.Kafka>;
type ConfluentProducer = ReturnType<ConfluentKafka["producer"]>;

/** librdkafka's produce() on the client's internal producer (the typings do not expose it). */
interface InternalProducer {
  produce(
    topic: string,
    partition: number,
    value: Buffer | null,
    key: Buffer | string | null,
    timestamp: number,
    opaque: Delivery,
    headers: Record<string, Buffer | string>[] | null,
  ): void;
}

/** Headers in librdkafka's shape: one single-key object per header. */
function rdkafkaHeaders(headers: Record<string, Buffer | string>): Record<string, Buffer | string>[] | null {
  const out: Record<string, Buffer | string>[] = [];
  for (const k in headers) out.push({ [k]: headers[k]! });
  return out.length ? out : null;
}
/** One `send`: settles once every record's delivery report arrived, or at the first failure. */
class PendingSend {
  readonly #records: readonly OutgoingRecord[];
  readonly #out: RecordMetadata[];
  #left: number;
  #resolve: ((metas: RecordMetadata[]) => void) | undefined;
  #reject: (err: unknown) => void;

  constructor(
    records: readonly OutgoingRecord[],
    resolve: (metas: RecordMetadata[]) => void,
    reject: (err: unknown) => void,
  ) {
    this.#records = records;
    this.#out = new Array(records.length);
    this.#left = records.length;
    this.#resolve = resolve;
    this.#reject = reject;
    if (records.length === 0) resolve(this.#out);
  }

  delivered(index: number, partition: number, offset: number | string | null): void {
    const n = offset === null || offset === undefined ? -1 : Number(offset);
    this.#out[index] = {
      topic: this.#records[index]!.topic,
      partition: partition ?? -1,
      offset: n < 0 || Number.isNaN(n) ? undefined : String(offset),
    };
    if (--this.#left === 0 && this.#resolve) this.#resolve(this.#out);
  }

  failed(err: unknown): void {
    if (!this.#resolve) return;
    this.#resolve = undefined;
    this.#reject(err);
  }
}

/**
 * A record's opaque: the client's delivery-report handler calls `resolve` or `reject` on it.
 * Methods on a prototype, so a record costs one small object (no promise, no closures).
 */
class Delivery {
  readonly #send: PendingSend;
  readonly #index: number;

  constructor(send: PendingSend, index: number) {
    this.#send = send;
    this.#index = index;
  }

  resolve(meta: { partition: number; baseOffset: number | string | null }): void {
    this.#send.delivered(this.#index, meta.partition, meta.baseOffset);
  }

  reject(err: unknown): void {
    this.#send.failed(err);
  }
}

type ConfluentLogger = NonNullable<
  NonNullable<NonNullable<ConstructorParameters<typeof KafkaJS.Kafka>[0]>["kafkaJS"]>["logger"]
>;

/** Routes the client's log lines into the broker logger (warnings and errors only). */
function confluentLogger(logger: Logger): ConfluentLogger {
  const make = (): ConfluentLogger => ({
    info: () => {},
    debug: () => {},
    warn: (message, extra) => logger.warn({ client: "confluent", ...extra }, message),
    error: (message, extra) => logger.error({ client: "confluent", ...extra }, message),
    namespace: () => make(),
    setLogLevel: () => {},
  });
  return make();
}

/**
 * What librdkafka can do: static membership (`group.instance.id`), `max.poll.interval.ms`, the
 * three classic assignors, and regex subscriptions (a topic starting with `^`), which librdkafka
 * re-evaluates on every metadata refresh (`topic.metadata.refresh.interval.ms`, 5 min by
 * default), so topics created later are picked up.
 */
const CAPABILITIES: DriverCapabilities = {
  name: "confluent",
  staticMembership: true,
  maxPollInterval: true,
  assignmentStrategies: ["roundrobin", "range", "cooperative-sticky"],
  patternPicksUpNewTopics: true,
  network: true,
  // The idempotent producer keeps each partition's records in the order they were handed over,
  // retries included, so coalesced sends can overlap.
  maxSendsInFlight: 8,
};

class ConfluentDriver implements KafkaDriver {
  readonly capabilities = CAPABILITIES;
  readonly #config: DriverConfig;
  readonly #kafka: ConfluentKafka;
  readonly #producer: ConfluentProducer;

  constructor(config: DriverConfig) {
    this.#config = config;
    this.#kafka = new KafkaJS.Kafka({
      kafkaJS: {
        clientId: config.clientId,
        brokers: [...config.brokers],
        connectionTimeout: config.connectTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        logger: confluentLogger(config.logger),
        logLevel: KafkaJS.logLevel.WARN,
      },
      ...librdkafkaSecurity(config.security),
    });
    this.#producer = this.#kafka.producer({
      // librdkafka's default partitioner (consistent_random, CRC32) differs from the Java and
      // kafkajs clients; murmur2_random matches them: same key, same partition everywhere.
      partitioner: "murmur2_random",
      "linger.ms": 5,
      // Retries neither reorder nor duplicate a partition's records (the Java client's default).
      "enable.idempotence": true,
      kafkaJS: { allowAutoTopicCreation: true },
    });
  }

  connect(): Promise<void> {
    return this.#producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.#producer.flush({ timeout: 30_000 }).catch(() => undefined);
    await this.#producer.disconnect();
  }

  /**
   * Produces every record straight through librdkafka's `produce()` (the client's internal
   * producer), each with its own delivery report: the report carries the record's own partition
   * and offset, and the KafkaJS-style `send()` would add a promise chain, option checks and a
   * per-call merge of the reports. The KafkaJS-style layer still owns delivery: its report
   * handler settles the {@link Delivery} passed as each record's opaque, and the send settles
   * once all of them did. librdkafka batches the records on the wire (`linger.ms`).
   */
  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    const internal = (
      this.#producer as unknown as { _getInternalClient(): InternalProducer | null }
    )._getInternalClient();
    if (!internal) return Promise.reject(new Error("the producer is not connected"));
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const send = new PendingSend(records, resolve, reject);
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        try {
          internal.produce(
            r.topic,
            r.partition ?? -1,
            r.value,
            r.key,
            r.timestamp !== undefined ? Number(r.timestamp) : 0,
            new Delivery(send, i),
            rdkafkaHeaders(r.headers),
          );
        } catch (err) {
          // Records already handed over still get their reports; the send fails as a whole.
          send.failed(err);
          return;
        }
      }
    });
  }

  checkSubscription(subscription: Subscription): void {
    if (subscription.kind === "pattern") toLibrdkafkaPattern(subscription.pattern);
  }

  createConsumer(spec: ConsumerSpec, callbacks: ConsumerCallbacks): DriverConsumer {
    return new ConfluentConsumer(this.#config, spec, callbacks);
  }

  /**
   * Connects a throwaway librdkafka producer: its connect is a metadata request (brokers only,
   * `allTopics: false`) bounded by the timeout. The admin API's describeGroups is not used:
   * it crashes the process against librdkafka's mock cluster.
   */
  async ping(timeoutMs: number): Promise<boolean> {
    const timeout = Math.max(1, Math.floor(timeoutMs));
    let client: InstanceType<typeof confluent.Producer>;
    try {
      client = new confluent.Producer({
        "bootstrap.servers": this.#config.brokers.join(","),
        "client.id": `${this.#config.clientId}-ping`,
        "socket.connection.setup.timeout.ms": Math.max(1000, this.#config.connectTimeoutMs),
        "socket.timeout.ms": Math.max(10, this.#config.requestTimeoutMs),
        ...librdkafkaSecurity(this.#config.security),
      });
    } catch {
      return false;
    }
    let timer: NodeJS.Timeout | undefined;
    const attempt = new Promise<boolean>((resolve) => {
      client.connect({ allTopics: false, timeout }, (err) => resolve(!err));
    });
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([attempt, timedOut]);
    } finally {
      clearTimeout(timer);
      // A failed connect disconnects by itself; a successful or late one is closed here.
      void attempt.then((ok) => {
        if (ok) client.disconnect();
      });
    }
  }
}

/**
 * Creates the confluent driver for the shared Kafka layer.
 *
 * @param config Connection settings (brokers, client id, logger, timeouts).
 * @returns A driver that produces with librdkafka's murmur2 partitioner and consumes with the
 *   native (librdkafka) consumer of `@confluentinc/kafka-javascript` (see {@link KafkaDriver}).
 * @internal
 */
export function createConfluentDriver(config: DriverConfig): KafkaDriver {
  return new ConfluentDriver(config);
}
