/**
 * The confluent driver: what differs between `@confluentinc/kafka-javascript` (librdkafka) and
 * the other clients, behind the driver contract of `@faststream/kafka`.
 */
import type {
  ConsumerCallbacks,
  ConsumerSpec,
  DriverCapabilities,
  DriverConfig,
  DriverConsumer,
  KafkaDriver,
  OutgoingRecord,
  RecordMetadata,
  Settle,
  Subscription,
} from "@faststream/kafka";
import { toLibrdkafkaPattern } from "./pattern.js";
import confluent from "@confluentinc/kafka-javascript";
import { ConfluentConsumer } from "./consumer.js";
import { connectionConfig } from "./config.js";
import { ConfluentProducer } from "./producer.js";

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
};

class ConfluentDriver implements KafkaDriver {
  readonly capabilities = CAPABILITIES;
  readonly #config: DriverConfig;
  readonly #producer: ConfluentProducer;

  constructor(config: DriverConfig) {
    this.#config = config;
    this.#producer = new ConfluentProducer(config);
  }

  connect(): Promise<void> {
    return this.#producer.connect();
  }

  ready(): Promise<void> {
    return this.#producer.ready();
  }

  disconnect(): Promise<void> {
    return this.#producer.disconnect();
  }

  /**
   * Produces every record through librdkafka's native `produce()`, each with its own delivery
   * report (the record's own partition and offset); resolves once all were acknowledged.
   */
  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    return this.#producer.send(records);
  }

  /** Hands one record to librdkafka now (it batches on the wire by `linger.ms`). */
  produce(record: OutgoingRecord, settle: Settle): void {
    this.#producer.produce(record, settle);
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
      client = new confluent.Producer(connectionConfig(this.#config, `${this.#config.clientId}-ping`));
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
