import type { Logger } from "@faststream/core";
import type {
  BatchControl,
  ConsumerCallbacks,
  ConsumerSpec,
  DriverConfig,
  DriverConsumer,
  KafkaDriver,
  OutgoingRecord,
  RecordMetadata,
  TopicPartition,
} from "@faststream/kafka";
import confluent from "@confluentinc/kafka-javascript";

const { KafkaJS } = confluent;
type ConfluentKafka = InstanceType<typeof KafkaJS.Kafka>;
type ConfluentProducer = ReturnType<ConfluentKafka["producer"]>;
type ConfluentConsumer = ReturnType<ConfluentKafka["consumer"]>;
type ConfluentLogger = NonNullable<NonNullable<ConstructorParameters<typeof KafkaJS.Kafka>[0]>["kafkaJS"]>["logger"];

/** librdkafka rebalance codes. */
const ASSIGN = -175;
const REVOKE = -174;

/** Routes the client's log lines into the broker logger (warnings and errors only). */
function confluentLogger(logger: Logger): NonNullable<ConfluentLogger> {
  const make = (): NonNullable<ConfluentLogger> => ({
    info: () => {},
    debug: () => {},
    warn: (message, extra) => logger.warn({ client: "confluent", ...extra }, message),
    error: (message, extra) => logger.error({ client: "confluent", ...extra }, message),
    namespace: () => make(),
    setLogLevel: () => {},
  });
  return make();
}

function toRecordMetadata(
  record: OutgoingRecord,
  meta: { topicName: string; partition: number; baseOffset?: string }[],
): RecordMetadata {
  const own = meta.filter((m) => m.topicName === record.topic);
  const match =
    record.partition !== undefined
      ? own.find((m) => m.partition === record.partition)
      : own.length === 1
        ? own[0]
        : undefined;
  return { topic: record.topic, partition: match?.partition ?? -1, offset: match?.baseOffset };
}

class ConfluentDriverConsumer implements DriverConsumer {
  readonly #consumer: ConfluentConsumer;
  readonly #spec: ConsumerSpec;
  readonly #callbacks: ConsumerCallbacks;

  constructor(kafka: ConfluentKafka, spec: ConsumerSpec, callbacks: ConsumerCallbacks) {
    this.#spec = spec;
    this.#callbacks = callbacks;
    this.#consumer = kafka.consumer({
      kafkaJS: {
        groupId: spec.groupId,
        fromBeginning: spec.fromBeginning,
        sessionTimeout: spec.sessionTimeoutMs,
        heartbeatInterval: spec.heartbeatIntervalMs,
        rebalanceTimeout: spec.rebalanceTimeoutMs,
        maxWaitTimeInMs: spec.maxWaitMs,
        // Offsets are stored only when the shared layer resolves them (after handling), and
        // the stored ones are committed periodically and on revoke/close: at-least-once.
        autoCommit: true,
        autoCommitInterval: 1000,
        allowAutoTopicCreation: true,
      },
      // The KafkaJS-style API hands over 32 records per batch by default.
      "js.consumer.max.batch.size": spec.maxBatchSize,
      rebalance_cb: (err: { code: number }, assignment: TopicPartition[]) => {
        const partitions = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
        if (err.code === ASSIGN) callbacks.onAssigned(partitions);
        else if (err.code === REVOKE) callbacks.onRevoked(partitions);
      },
    });
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [...this.#spec.topics] });
    await this.#consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#spec.partitionsConcurrently,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const control: BatchControl = { resolveOffset, heartbeat, isRunning, isStale };
        try {
          await this.#callbacks.onBatch(batch, control);
        } catch (err) {
          this.#callbacks.onCrash(err instanceof Error ? err : new Error(String(err)));
          throw err;
        }
      },
    });
  }

  async stop(): Promise<void> {
    // disconnect() stops fetching, waits for the batch in flight, commits stored offsets and
    // leaves the group.
    await this.#consumer.disconnect();
  }
}

class ConfluentDriver implements KafkaDriver {
  readonly capabilities = { name: "confluent" } as const;
  readonly #kafka: ConfluentKafka;
  readonly #producer: ConfluentProducer;

  constructor(config: DriverConfig) {
    this.#kafka = new KafkaJS.Kafka({
      kafkaJS: {
        clientId: config.clientId,
        brokers: [...config.brokers],
        connectionTimeout: config.connectTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        logger: confluentLogger(config.logger),
        logLevel: KafkaJS.logLevel.WARN,
      },
    });
    this.#producer = this.#kafka.producer({
      // librdkafka's default partitioner (consistent_random, CRC32) differs from the Java and
      // kafkajs clients; murmur2_random matches them: same key, same partition everywhere.
      partitioner: "murmur2_random",
      "linger.ms": 5,
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

  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const r of records) {
      const list = byTopic.get(r.topic);
      if (list) list.push(r);
      else byTopic.set(r.topic, [r]);
    }
    const meta = await this.#producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((r) => ({
          key: r.key,
          value: r.value,
          headers: r.headers,
          ...(r.partition !== undefined ? { partition: r.partition } : {}),
          ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
        })),
      })),
    });
    return records.map((r) =>
      toRecordMetadata(r, meta as { topicName: string; partition: number; baseOffset?: string }[]),
    );
  }

  createConsumer(spec: ConsumerSpec, callbacks: ConsumerCallbacks): DriverConsumer {
    return new ConfluentDriverConsumer(this.#kafka, spec, callbacks);
  }
}

/** Creates the confluent driver. @internal */
export function createConfluentDriver(config: DriverConfig): KafkaDriver {
  return new ConfluentDriver(config);
}
