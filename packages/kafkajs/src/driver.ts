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
} from "@faststream/kafka";
import { Kafka, type logCreator, logLevel, Partitioners, type Producer } from "kafkajs";

const LEVEL_NAMES: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** Routes kafkajs' own log lines into the broker logger (warnings and errors only). */
function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const name = LEVEL_NAMES[level];
      if (name !== "error" && name !== "warn") return;
      const { message, ...rest } = log;
      logger[name]({ client: "kafkajs", ...rest }, String(message));
    };
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

class KafkajsConsumer implements DriverConsumer {
  readonly #consumer: ReturnType<Kafka["consumer"]>;
  readonly #spec: ConsumerSpec;
  readonly #callbacks: ConsumerCallbacks;

  constructor(kafka: Kafka, spec: ConsumerSpec, callbacks: ConsumerCallbacks) {
    this.#spec = spec;
    this.#callbacks = callbacks;
    this.#consumer = kafka.consumer({
      groupId: spec.groupId,
      sessionTimeout: spec.sessionTimeoutMs,
      heartbeatInterval: spec.heartbeatIntervalMs,
      rebalanceTimeout: spec.rebalanceTimeoutMs,
      maxWaitTimeInMs: spec.maxWaitMs,
      allowAutoTopicCreation: true,
    });
    const events = this.#consumer.events;
    this.#consumer.on(events.GROUP_JOIN, (e) => {
      const assigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      callbacks.onAssigned(assigned);
    });
    this.#consumer.on(events.CRASH, (e) => {
      if (!e.payload.restart) callbacks.onCrash(e.payload.error);
    });
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [...this.#spec.topics], fromBeginning: this.#spec.fromBeginning });
    await this.#consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#spec.partitionsConcurrently,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const control: BatchControl = { resolveOffset, heartbeat, isRunning, isStale };
        await this.#callbacks.onBatch(batch, control);
      },
    });
  }

  async stop(): Promise<void> {
    // disconnect() stops the fetch loop, waits for the batch in flight, commits resolved
    // offsets and leaves the group.
    await this.#consumer.disconnect();
  }
}

class KafkajsDriver implements KafkaDriver {
  readonly capabilities = { name: "kafkajs" } as const;
  readonly #kafka: Kafka;
  readonly #producer: Producer;

  constructor(config: DriverConfig) {
    this.#kafka = new Kafka({
      clientId: config.clientId,
      brokers: [...config.brokers],
      connectionTimeout: config.connectTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLogCreator(config.logger),
    });
    // kafkajs' default partitioner is Java-compatible murmur2: same key, same partition as
    // the JVM clients and our confluent adapter.
    this.#producer = this.#kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  connect(): Promise<void> {
    return this.#producer.connect();
  }

  disconnect(): Promise<void> {
    return this.#producer.disconnect();
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
    return records.map((r) => toRecordMetadata(r, meta));
  }

  createConsumer(spec: ConsumerSpec, callbacks: ConsumerCallbacks): DriverConsumer {
    return new KafkajsConsumer(this.#kafka, spec, callbacks);
  }
}

/** Creates the kafkajs driver. @internal */
export function createKafkajsDriver(config: DriverConfig): KafkaDriver {
  return new KafkajsDriver(config);
}
