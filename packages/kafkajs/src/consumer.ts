/**
 * The kafkajs side of {@link DriverConsumer}: a kafkajs consumer run with `eachBatch`, no
 * auto-commit and no auto-resolve, plus what kafkajs lacks (manual assignment, a revoke signal).
 */
import type { Logger } from "@faststream/core";
import type { ConsumerCallbacks, ConsumerSpec, DriverConsumer, TopicPartition } from "@faststream/kafka";
import { BatchGate, KafkaJsStyleConsumer } from "@faststream/kafka";
import {
  type Assigner,
  AssignerProtocol,
  type Consumer,
  type ConsumerConfig,
  type ConsumerSubscribeTopics,
  type Kafka,
  type PartitionAssigner,
  PartitionAssigners,
} from "kafkajs";

/** Name of the assignment protocol behind `partitions` subscriptions. */
const MANUAL_PROTOCOL = "FastStreamManualAssigner";

/**
 * kafkajs has no `assign()`: a `partitions` subscription joins a group of its own (the shared
 * layer passes a unique group id) with this assigner, which hands exactly the requested
 * partitions to one member (the sole one) and nothing to anybody else.
 */
function manualAssigner(partitions: readonly TopicPartition[]): PartitionAssigner {
  const assignment: Record<string, number[]> = {};
  for (const { topic, partition } of partitions) assignment[topic] = [...(assignment[topic] ?? []), partition];
  return (): Assigner => ({
    name: MANUAL_PROTOCOL,
    version: 0,
    async assign({ members }) {
      const [owner, ...others] = members.map((m) => m.memberId).sort();
      const encode = (a: Record<string, number[]>) =>
        AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: a, userData: Buffer.alloc(0) });
      return [
        ...(owner === undefined ? [] : [{ memberId: owner, memberAssignment: encode(assignment) }]),
        ...others.map((memberId) => ({ memberId, memberAssignment: encode({}) })),
      ];
    },
    protocol({ topics }) {
      return {
        name: MANUAL_PROTOCOL,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/**
 * kafkajs' round-robin assigner leaves members that get no partition out of the group
 * assignment. Kafka brokers hand those an empty one, but librdkafka's mock cluster waits for an
 * assignment for every member and the rebalance never completes. Like the Java client, this
 * wrapper names every member, with an empty assignment where it has nothing.
 */
function everyMember(assigner: PartitionAssigner): PartitionAssigner {
  return (config) => {
    const inner = assigner(config);
    return {
      ...inner,
      protocol: (subscription) => inner.protocol(subscription),
      async assign(group) {
        const assigned = await inner.assign(group);
        const named = new Set(assigned.map((a) => a.memberId));
        const empty = AssignerProtocol.MemberAssignment.encode({
          version: inner.version,
          assignment: {},
          userData: Buffer.alloc(0),
        });
        return [
          ...assigned,
          ...group.members
            .filter((m) => !named.has(m.memberId))
            .map((m) => ({ memberId: m.memberId, memberAssignment: empty })),
        ];
      },
    };
  };
}

/** kafkajs' consumer settings for a spec (only what kafkajs implements: see the capabilities). */
/** Metadata refresh interval for kafkajs clients (its default of 300 s stalls partitions after a broker outage). */
export const KAFKAJS_METADATA_MAX_AGE_MS = 10_000;

function consumerConfig(spec: ConsumerSpec): ConsumerConfig {
  const { subscription: sub } = spec;
  return {
    groupId: spec.groupId,
    sessionTimeout: spec.sessionTimeoutMs,
    heartbeatInterval: spec.heartbeatIntervalMs,
    rebalanceTimeout: spec.rebalanceTimeoutMs,
    maxWaitTimeInMs: spec.maxWaitMs,
    readUncommitted: spec.isolationLevel === "read_uncommitted",
    allowAutoTopicCreation: true,
    // kafkajs stops fetching partitions led by a broker whose connection closed until its next
    // metadata refresh (300 s by default); refresh often so it recovers in seconds.
    metadataMaxAge: KAFKAJS_METADATA_MAX_AGE_MS,
    // Round robin is the only strategy kafkajs ships; the shared layer rejects any other.
    partitionAssigners: [
      sub.kind === "partitions" ? manualAssigner(sub.partitions) : everyMember(PartitionAssigners.roundRobin),
    ],
    ...(spec.minBytes !== undefined ? { minBytes: spec.minBytes } : {}),
    ...(spec.maxBytes !== undefined ? { maxBytes: spec.maxBytes } : {}),
    ...(spec.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: spec.maxBytesPerPartition } : {}),
  };
}

/** The kafkajs subscription for a spec. */
function subscription(spec: ConsumerSpec): ConsumerSubscribeTopics {
  const sub = spec.subscription;
  const topics =
    sub.kind === "topics"
      ? [...sub.topics]
      : sub.kind === "pattern"
        ? // kafkajs tests the RegExp against the topics that exist now (unanchored): anchor it.
          [new RegExp(`^(?:${sub.pattern.source})$`, sub.pattern.flags.replace(/[gy]/g, ""))]
        : [...new Set(sub.partitions.map((p) => p.topic))];
  return { topics, fromBeginning: spec.fromBeginning };
}

const notStale = (): boolean => false;

/** A {@link DriverConsumer} on a kafkajs consumer. */
export class KafkajsConsumer extends KafkaJsStyleConsumer {
  protected readonly client: Consumer;
  readonly #spec: ConsumerSpec;
  readonly #callbacks: ConsumerCallbacks;
  readonly #logger: Logger;
  protected readonly gate: BatchGate;
  /** Current assignment, to report it as revoked on the next rebalance. */
  #assigned: TopicPartition[] = [];

  constructor(kafka: Kafka, spec: ConsumerSpec, callbacks: ConsumerCallbacks, logger: Logger) {
    super();
    this.#spec = spec;
    this.#callbacks = callbacks;
    this.#logger = logger;
    this.gate = new BatchGate(callbacks);
    this.client = kafka.consumer(consumerConfig(spec));
    const { GROUP_JOIN, REBALANCING, CRASH } = this.client.events;
    // kafkajs' rebalances are eager and it has no revoke hook. REBALANCING fires when it learns
    // of a rebalance, before it rejoins; GROUP_JOIN covers rejoins it did not announce (e.g.
    // after a metadata change or a restart). Either way it drops every position it held, so
    // the whole previous assignment is reported as revoked. kafkajs cannot wait for the
    // callback, so its promise is not awaited. kafkajs has no notion of lost partitions:
    // onLost is never called (an expired session shows up as a rebalance, reported as revoke).
    this.client.on(REBALANCING, () => this.#revokeAll());
    this.client.on(GROUP_JOIN, (e) => {
      this.#revokeAll();
      this.#assigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      callbacks.onAssigned(this.#assigned);
    });
    this.client.on(CRASH, (e) => {
      // Retriable crashes make kafkajs restart the consumer by itself.
      if (e.payload.restart) return;
      this.gate.running = false;
      callbacks.onCrash(e.payload.error);
    });
  }

  #revokeAll(): void {
    const revoked = this.#assigned;
    if (revoked.length === 0) return;
    this.#assigned = [];
    this.gate.invalidate(revoked);
    if (!this.gate.running) return;
    Promise.resolve()
      .then(() => this.#callbacks.onRevoked(revoked))
      .catch((err: unknown) => this.#logger.error({ err }, "onRevoked failed"));
  }

  async start(): Promise<void> {
    try {
      await this.client.connect();
      await this.client.subscribe(subscription(this.#spec));
      this.gate.running = true;
      // Resolves after the first group join (onAssigned has been called by then).
      await this.client.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.#spec.partitionsConcurrently,
        // kafkajs' isStale (a seek is pending) costs a JSON.stringify per call and the shared
        // layer asks per message: the gate tracks seeks itself (they all go through seek()).
        eachBatch: ({ batch, resolveOffset, heartbeat, isRunning }) =>
          this.gate.run(batch, { resolveOffset, heartbeat, isRunning, isStale: notStale }, this.#spec.maxBatchSize),
      });
    } catch (err) {
      this.gate.running = false;
      await this.client.disconnect().catch(() => undefined);
      throw err;
    }
  }
}
