/**
 * The kafkajs driver: what differs between kafkajs and the other clients, behind the driver
 * contract of `@faststream/kafka`.
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
} from "@faststream/kafka";
import { Kafka, type logCreator, logLevel, type Message, Partitioners, type Producer } from "kafkajs";
import { KAFKAJS_METADATA_MAX_AGE_MS, KafkajsConsumer } from "./consumer.js";
import { kafkajsSecurity } from "./security.js";

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

/**
 * What kafkajs 2.x can do. No static membership (kafkajs does not send `group.instance.id`),
 * no max poll interval (kafkajs has no such setting: a member only fails by missing
 * heartbeats), only the round-robin assigner ships with it, and a RegExp subscription is
 * resolved against the topics that exist when the consumer subscribes.
 */
const CAPABILITIES: DriverCapabilities = {
  name: "kafkajs",
  staticMembership: false,
  maxPollInterval: false,
  assignmentStrategies: ["roundrobin"],
  patternPicksUpNewTopics: false,
  network: true,
  // kafkajs groups a send's records per partition in quadratic time: smaller sends are faster.
  maxSendRecords: 1_000,
};

/** The partition kafkajs' partitioner chose for a message (latest choice wins). */
const CHOSEN = Symbol("chosenPartition");

/** A kafkajs message that remembers where the partitioner put it. */
type TaggedMessage = Message & { [CHOSEN]?: number };

/** kafkajs' produce result: one entry per topic partition written. */
type ProduceResult = { topicName: string; partition: number; baseOffset?: string }[];

class KafkajsDriver implements KafkaDriver {
  readonly capabilities = CAPABILITIES;
  readonly #config: DriverConfig;
  readonly #kafka: Kafka;
  readonly #producer: Producer;

  constructor(config: DriverConfig) {
    this.#config = config;
    this.#kafka = new Kafka({
      clientId: config.clientId,
      brokers: [...config.brokers],
      connectionTimeout: config.connectTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLogCreator(config.logger),
      ...kafkajsSecurity(config.security),
    });
    // kafkajs' default partitioner is Java-compatible murmur2: same key, same partition as
    // the JVM clients and our confluent driver. It is wrapped to learn where each record went
    // (kafkajs reports offsets per partition, not per record).
    this.#producer = this.#kafka.producer({
      allowAutoTopicCreation: true,
      metadataMaxAge: KAFKAJS_METADATA_MAX_AGE_MS,
      createPartitioner: () => {
        const partitioner = Partitioners.DefaultPartitioner();
        return (args) => {
          const partition = partitioner(args);
          (args.message as TaggedMessage)[CHOSEN] = partition;
          return partition;
        };
      },
    });
  }

  connect(): Promise<void> {
    return this.#producer.connect();
  }

  disconnect(): Promise<void> {
    return this.#producer.disconnect();
  }

  /**
   * Produces records. kafkajs 2.2's sendBatch can report success while a partition that moved
   * to another leader was never written (its retry skips brokers that already answered); such
   * a partition is missing from the result, so its records are sent again, pinned to the same
   * partition (at-least-once: a rare duplicate, never a loss).
   */
  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    const out: RecordMetadata[] = new Array(records.length);
    const current = [...records];
    let pending = records.map((_, i) => i);
    for (let round = 1; pending.length > 0; round++) {
      if (round > 5) throw new Error(`kafkajs did not confirm ${pending.length} record(s) after 5 attempts`);
      const metas = await this.#sendOnce(pending.map((i) => current[i]!));
      const missing: number[] = [];
      metas.forEach((meta, j) => {
        const i = pending[j]!;
        if (meta.offset === undefined && meta.partition >= 0) {
          missing.push(i);
          // Resend pinned to the partition its key chose.
          current[i] = { ...current[i]!, partition: meta.partition };
          this.#config.logger.warn(
            { topic: meta.topic, partition: meta.partition },
            "kafkajs did not confirm a partition's records; sending them again",
          );
        } else {
          out[i] = meta;
        }
      });
      pending = missing;
    }
    return out;
  }

  async #sendOnce(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    const messages = new Array<TaggedMessage>(records.length);
    const byTopic = new Map<string, Message[]>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const m: TaggedMessage = { key: r.key, value: r.value, headers: r.headers };
      if (r.partition !== undefined) m.partition = r.partition;
      if (r.timestamp !== undefined) m.timestamp = r.timestamp;
      messages[i] = m;
      const list = byTopic.get(r.topic);
      if (list) list.push(m);
      else byTopic.set(r.topic, [m]);
    }
    const result: ProduceResult = await this.#producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
    });
    // Records of one topic partition are written in input order from the partition's base
    // offset, so the n-th of them sits at baseOffset + n.
    const bases = new Map<string, { base: (string | undefined)[]; next: number[] }>();
    for (const m of result) {
      let t = bases.get(m.topicName);
      if (!t) {
        t = { base: [], next: [] };
        bases.set(m.topicName, t);
      }
      t.base[m.partition] = m.baseOffset;
    }
    const out = new Array<RecordMetadata>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const partition = messages[i]![CHOSEN] ?? r.partition ?? -1;
      const t = bases.get(r.topic);
      const baseOffset = t?.base[partition];
      let offset: string | undefined;
      if (t && baseOffset !== undefined && baseOffset !== "-1") {
        const index = t.next[partition] ?? 0;
        t.next[partition] = index + 1;
        const base = Number(baseOffset);
        offset = Number.isSafeInteger(base + index) ? String(base + index) : String(BigInt(baseOffset) + BigInt(index));
      }
      out[i] = { topic: r.topic, partition, offset };
    }
    return out;
  }

  createConsumer(spec: ConsumerSpec, callbacks: ConsumerCallbacks): DriverConsumer {
    return new KafkajsConsumer(this.#kafka, spec, callbacks, this.#config.logger);
  }

  /**
   * Connects a throwaway admin client and asks for cluster metadata (no topics). It gets its
   * own silent client without retries: a ping answers once, it does not log or retry.
   */
  async ping(timeoutMs: number): Promise<boolean> {
    const admin = new Kafka({
      clientId: `${this.#config.clientId}-ping`,
      brokers: [...this.#config.brokers],
      connectionTimeout: Math.min(this.#config.connectTimeoutMs, timeoutMs),
      requestTimeout: Math.min(this.#config.requestTimeoutMs, timeoutMs),
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
      ...kafkajsSecurity(this.#config.security),
    }).admin();
    let timer: NodeJS.Timeout | undefined;
    const attempt = (async () => {
      await admin.connect();
      await admin.describeCluster();
      return true;
    })();
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([attempt.catch(() => false), timeout]);
    } finally {
      clearTimeout(timer);
      // Disconnect once the attempt settled, so a late connection does not linger.
      void attempt
        .catch(() => false)
        .then(() => admin.disconnect())
        .catch(() => undefined);
    }
  }
}

/**
 * Creates the kafkajs driver for the shared Kafka layer.
 *
 * @param config Connection settings (brokers, client id, logger, timeouts).
 * @returns A driver that produces with kafkajs' murmur2 partitioner and consumes with
 *   kafkajs consumer groups (see {@link KafkaDriver} for the contract).
 * @internal
 */
export function createKafkajsDriver(config: DriverConfig): KafkaDriver {
  return new KafkajsDriver(config);
}
