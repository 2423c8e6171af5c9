/**
 * The confluent side of {@link DriverConsumer}: the KafkaJS-style consumer of
 * `@confluentinc/kafka-javascript` run with `eachBatch`, no auto-commit and no auto-resolve,
 * with librdkafka's rebalance callback for assignment, revoke and loss.
 */
import type {
  CommitOptions,
  ConsumerCallbacks,
  ConsumerSpec,
  DriverConsumer,
  TopicPartition,
  TopicPartitionOffset,
} from "@faststream/kafka";
import { BatchGate, KafkaJsStyleConsumer, partitionKey } from "@faststream/kafka";
import type { KafkaJS } from "@confluentinc/kafka-javascript";
import { toLibrdkafkaPattern } from "./pattern.js";

type ConfluentKafka = InstanceType<typeof KafkaJS.Kafka>;
type ClientConsumer = ReturnType<ConfluentKafka["consumer"]>;
type ConsumerConfig = NonNullable<Parameters<ConfluentKafka["consumer"]>[0]>;

/** librdkafka error codes seen here. */
const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
const ERR_FATAL = -150;

/** The client's internal (node-rdkafka style) consumer, which the typings do not expose. */
type InternalClient = {
  /** librdkafka's synchronous commit: blocks until the coordinator answered, throws on a refusal. */
  commitSync(offsets: { topic: string; partition: number; offset: number }[]): void;
  /** librdkafka's pause: stops fetching the partitions (throws when they are not assigned). */
  pause(partitions: { topic: string; partition: number }[]): void;
  on(event: "event.error", cb: (e: Error & { code?: number; isFatal?: boolean }) => void): void;
};

/** Strategies that use the cooperative (incremental) protocol; librdkafka cannot mix them with eager ones. */
const COOPERATIVE = new Set(["cooperative-sticky"]);

/** What the client passes to a user `rebalance_cb` as its third argument. */
interface RebalanceFns {
  assignmentLost(): boolean;
}

/** The first strategy wins; later ones are kept only if they speak the same protocol. */
function strategies(spec: ConsumerSpec): string | undefined {
  const [first, ...rest] = spec.assignmentStrategies ?? [];
  if (first === undefined) return undefined;
  const cooperative = COOPERATIVE.has(first);
  return [first, ...rest.filter((s) => COOPERATIVE.has(s) === cooperative)].join(",");
}

/**
 * librdkafka's pre-fetch queue bound. Its default (64 MiB) makes memory follow the backlog up to
 * that size (peak RSS 188 MB draining 50k records of 1 KiB, 213 MB at 200k); 16 MiB kept the
 * consume throughput of the bench and a flat peak (about 158 MB at both). At least one fetch
 * (`maxBytes`) always fits.
 */
const PREFETCH_KBYTES = 16 * 1024;

/** librdkafka's upper limit for the setting (INT_MAX / 1024). */
const MAX_PREFETCH_KBYTES = 2_097_151;

function prefetchKbytes(spec: ConsumerSpec): number {
  if (spec.maxBytes === undefined) return PREFETCH_KBYTES;
  return Math.min(MAX_PREFETCH_KBYTES, Math.max(PREFETCH_KBYTES, Math.ceil(spec.maxBytes / 1024)));
}

/** The client's consumer settings for a spec. */
function consumerConfig(spec: ConsumerSpec, rebalance: ConsumerConfig["rebalance_cb"]): ConsumerConfig {
  const manual = spec.subscription.kind === "partitions";
  const strategy = manual ? undefined : strategies(spec);
  return {
    kafkaJS: {
      groupId: spec.groupId,
      fromBeginning: spec.fromBeginning,
      sessionTimeout: spec.sessionTimeoutMs,
      heartbeatInterval: spec.heartbeatIntervalMs,
      // librdkafka uses max.poll.interval.ms as the rebalance timeout (one knob for both).
      rebalanceTimeout: Math.max(spec.rebalanceTimeoutMs, spec.maxPollIntervalMs ?? 0),
      maxWaitTimeInMs: spec.maxWaitMs,
      autoCommit: false,
      allowAutoTopicCreation: true,
      readUncommitted: spec.isolationLevel === "read_uncommitted",
      ...(spec.minBytes !== undefined ? { minBytes: spec.minBytes } : {}),
      ...(spec.maxBytes !== undefined ? { maxBytes: spec.maxBytes } : {}),
      ...(spec.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: spec.maxBytesPerPartition } : {}),
    },
    // The KafkaJS-style API hands over 32 records per batch by default.
    "js.consumer.max.batch.size": spec.maxBatchSize,
    "queued.max.messages.kbytes": prefetchKbytes(spec),
    ...(strategy !== undefined ? { "partition.assignment.strategy": strategy } : {}),
    ...(spec.groupInstanceId !== undefined ? { "group.instance.id": spec.groupInstanceId } : {}),
    rebalance_cb: rebalance,
  };
}

/** A {@link DriverConsumer} on the confluent KafkaJS-style consumer. */
export class ConfluentConsumer extends KafkaJsStyleConsumer {
  protected readonly client: ClientConsumer;
  readonly #spec: ConsumerSpec;
  readonly #callbacks: ConsumerCallbacks;
  protected readonly gate: BatchGate;
  /** Partitions this member holds (keyed), to report revokes truthfully. */
  readonly #held = new Map<string, TopicPartition>();

  constructor(kafka: ConfluentKafka, spec: ConsumerSpec, callbacks: ConsumerCallbacks) {
    super();
    this.#spec = spec;
    this.#callbacks = callbacks;
    this.gate = new BatchGate(callbacks);
    this.client = kafka.consumer(consumerConfig(spec, this.#rebalance));
  }

  /**
   * librdkafka's rebalance callback. The client awaits it before applying the change, so
   * onRevoked is awaited while the partitions are still assigned (final commits work). A
   * truthy return value replaces the assignment: `partitions` subscriptions use that to take
   * exactly the requested partitions (their group has this member only).
   */
  readonly #rebalance = async (
    err: { code: number },
    assignment: TopicPartition[],
    fns: RebalanceFns,
  ): Promise<TopicPartition[] | undefined> => {
    const sub = this.#spec.subscription;
    if (err.code === ERR_ASSIGN_PARTITIONS) {
      // Eager protocols: the whole assignment; cooperative: the partitions added.
      const added = (sub.kind === "partitions" ? sub.partitions : assignment).map(({ topic, partition }) => ({
        topic,
        partition,
      }));
      for (const tp of added) this.#held.set(partitionKey(tp.topic, tp.partition), tp);
      this.#callbacks.onAssigned(added);
      return sub.kind === "partitions" ? added : undefined;
    }
    if (err.code !== ERR_REVOKE_PARTITIONS) return undefined;
    const revoked = assignment
      .map(({ topic, partition }) => this.#held.get(partitionKey(topic, partition)))
      .filter((tp): tp is TopicPartition => tp !== undefined);
    for (const { topic, partition } of revoked) this.#held.delete(partitionKey(topic, partition));
    this.gate.revoke(revoked);
    // stop() gives everything up itself: no callbacks for that.
    if (!this.gate.running || revoked.length === 0) return undefined;
    if (fns.assignmentLost()) this.#callbacks.onLost(revoked);
    else await this.#callbacks.onRevoked(revoked);
    return undefined;
  };

  async start(): Promise<void> {
    const sub = this.#spec.subscription;
    try {
      const topics =
        sub.kind === "topics"
          ? [...sub.topics]
          : sub.kind === "pattern"
            ? [toLibrdkafkaPattern(sub.pattern)]
            : [...new Set(sub.partitions.map((p) => p.topic))];
      await this.client.connect();
      const internal = this.#internal();
      if (internal) this.#watchFatalErrors(internal);
      await this.client.subscribe({ topics });
      this.gate.running = true;
      // Returns at once; assignment arrives through the rebalance callback.
      await this.client.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.#spec.partitionsConcurrently,
        eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
          this.gate.run(batch, { resolveOffset, heartbeat, isRunning, isStale }, this.#spec.maxBatchSize),
      });
    } catch (err) {
      this.gate.running = false;
      await this.client.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Without `acknowledged`, the client's `commitOffsets()`: it resolves once librdkafka queued
   * the commit. With it, librdkafka's synchronous commit, which returns once the coordinator
   * stored the offsets and throws when it refused them (it blocks the event loop for that
   * round trip, so it is kept for the final commit on stop). The asynchronous commit's answer
   * is only reported through the client's fetch loop, which stalls around a stopping consumer.
   */
  override async commit(offsets: readonly TopicPartitionOffset[], options?: CommitOptions): Promise<void> {
    if (offsets.length === 0) return;
    if (!options?.acknowledged) return super.commit(offsets);
    const internal = this.#internal();
    if (!internal) return super.commit(offsets);
    internal.commitSync(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: Number(offset) })));
  }

  /**
   * Pauses every held partition before the KafkaJS-style layer disconnects: records its last
   * fetch returns while disconnecting can otherwise make librdkafka's close hang.
   */
  override async stop(): Promise<void> {
    const held = [...this.#held.values()];
    const internal = this.#internal();
    if (held.length > 0 && internal) {
      try {
        // librdkafka's own pause: synchronous (the KafkaJS-style one is queued, and reports a
        // failure as an unhandled rejection).
        internal.pause(held.map(({ topic, partition }) => ({ topic, partition })));
      } catch {
        // Not assigned any more: nothing to pause.
      }
    }
    await super.stop();
  }

  #internal(): InternalClient | null {
    return (this.client as unknown as { _getInternalClient(): InternalClient | null })._getInternalClient();
  }

  /**
   * The KafkaJS-style layer logs and retries every error; only librdkafka's fatal errors (e.g.
   * a static member fenced by another instance with the same `group.instance.id`) end the
   * consumer.
   */
  #watchFatalErrors(internal: InternalClient): void {
    internal.on("event.error", (e) => {
      if (e.code !== ERR_FATAL && e.isFatal !== true) return;
      this.gate.running = false;
      this.#callbacks.onCrash(e);
    });
  }
}
