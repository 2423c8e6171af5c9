/**
 * The contract between the shared Kafka layer and a client library. Drivers are thin: they
 * connect, produce, run a consumer that hands over fetched batches, commit the offsets they are
 * told to, seek, pause and resume, and report rebalances. Everything users can observe (ack
 * policies, ordering, concurrency, retries) is decided above this contract, once.
 */
import type { Logger } from "@faststream/core";
import type { SecurityOptions } from "./security.js";

/** Header values as clients hand them over (repeated keys arrive as arrays). */
export type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A record as fetched from Kafka. */
export interface RawRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: RawHeaders | undefined;
  /** Offset as a decimal string. */
  readonly offset: string;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string;
}

/** Records of one partition, in offset order. */
export interface RawBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly RawRecord[];
}

/** A topic partition. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A topic partition and an offset (for commits: the next offset to read). */
export interface TopicPartitionOffset extends TopicPartition {
  /** Decimal string. */
  readonly offset: string;
}

/** Control handed to the batch callback. */
export interface BatchControl {
  /**
   * Advances the fetch position past `offset` (the record was taken for processing). This is
   * not a commit: commits are explicit, through {@link DriverConsumer.commit}.
   */
  resolveOffset(offset: string): void;
  /** Sends a heartbeat if one is due (keeps the group session alive during long batches). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: stop processing and return. */
  isRunning(): boolean;
  /** True if the partition was revoked, sought or paused while processing: stop and return (the rest is fetched again). */
  isStale(): boolean;
}

/** Callbacks from a driver consumer to the shared layer. */
export interface ConsumerCallbacks {
  /** Processes one partition's batch. Must not throw for a bad message. */
  onBatch(batch: RawBatch, control: BatchControl): Promise<void>;
  /**
   * Partitions were added to this member's assignment (the whole assignment for eager
   * strategies, only the added ones for cooperative ones); also called with `[]` if it got none.
   */
  onAssigned(partitions: readonly TopicPartition[]): void;
  /**
   * Partitions are being taken away in an orderly rebalance. Drivers await the returned
   * promise before giving them up where the client allows it (so final offsets get committed;
   * kafkajs cannot wait). Not called when `stop()` gives partitions up.
   */
  onRevoked(partitions: readonly TopicPartition[]): Promise<void> | void;
  /** Partitions were lost without a chance to commit (session expired, fenced). */
  onLost(partitions: readonly TopicPartition[]): void;
  /** The consumer stopped on an error it cannot recover from. */
  onCrash(error: Error): void;
}

/** What a consumer reads. */
export type Subscription =
  | { readonly kind: "topics"; readonly topics: readonly string[] }
  /** Every topic whose whole name matches (anchored). */
  | { readonly kind: "pattern"; readonly pattern: RegExp }
  /** Exactly these partitions, without sharing them through a group. */
  | { readonly kind: "partitions"; readonly partitions: readonly TopicPartition[] };

/** Partition assignment strategies. */
export type AssignmentStrategy = "roundrobin" | "range" | "cooperative-sticky";

/** Normalised consumer settings (milliseconds everywhere). Drivers never auto-commit. */
export interface ConsumerSpec {
  readonly groupId: string;
  readonly subscription: Subscription;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly maxWaitMs: number;
  /** Most records handed over in one batch. */
  readonly maxBatchSize: number;
  /** Partitions whose batches may be processed at the same time (each stays in order). */
  readonly partitionsConcurrently: number;
  /** Static membership id (`group.instance.id`). */
  readonly groupInstanceId?: string | undefined;
  /** Longest time between two polls before the member is considered failed. */
  readonly maxPollIntervalMs?: number | undefined;
  /** Fetch sizes (bytes). */
  readonly minBytes?: number | undefined;
  readonly maxBytes?: number | undefined;
  readonly maxBytesPerPartition?: number | undefined;
  readonly isolationLevel: "read_committed" | "read_uncommitted";
  /** Preferred strategies, first wins. Default: the client's own. */
  readonly assignmentStrategies?: readonly AssignmentStrategy[] | undefined;
}

/** How a commit is made. */
export interface CommitOptions {
  /**
   * Resolve only once the group coordinator stored the offsets (reject when it refused them).
   * Without it a client may resolve once the commit is queued (librdkafka learns the answer
   * only when its fetch loop polls again, so waiting inside a batch would stall that loop).
   */
  readonly acknowledged?: boolean;
}

/** A running consumer. */
export interface DriverConsumer {
  /** Connects, subscribes and starts fetching. */
  start(): Promise<void>;
  /** Stops fetching, waits for the batch in flight, leaves the group. Does not commit. */
  stop(): Promise<void>;
  /**
   * Commits offsets (each the next offset to read) for the group. Resolves once the client
   * accepted them, or with `acknowledged` once the coordinator stored them.
   */
  commit(offsets: readonly TopicPartitionOffset[], options?: CommitOptions): Promise<void>;
  /** Makes the next fetch of the partition start at `offset` (redelivery). Only for owned partitions. */
  seek(target: TopicPartitionOffset): void;
  /** Stops fetching the partitions until resumed (records in flight still arrive). */
  pause(partitions: readonly TopicPartition[]): void;
  /** Resumes fetching paused partitions. */
  resume(partitions: readonly TopicPartition[]): void;
}

/** A record to produce. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | string>;
  readonly partition?: number;
  /** Milliseconds since the epoch, decimal string. */
  readonly timestamp?: string;
}

/** Receives the outcome of one record handed to {@link KafkaDriver.produce}. */
export interface Settle {
  resolve(meta: RecordMetadata): void;
  reject(err: unknown): void;
  /**
   * True when `resolve` does not read its argument: a driver that builds the metadata per
   * record may pass `NO_METADATA` instead (no object and offset string per record).
   */
  readonly ignoresMetadata?: boolean;
}

/** Where a produced record landed. */
export interface RecordMetadata {
  readonly topic: string;
  /** `-1` when the client did not report it. */
  readonly partition: number;
  /** Offset as a decimal string, when the client reports it. */
  readonly offset: string | undefined;
}

/** Connection settings common to all drivers. */
export interface DriverConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /**
   * Largest record the shared layer lets through (it refuses bigger ones itself); a client
   * with a limit of its own raises that limit to at least this.
   */
  readonly maxRecordBytes?: number;
  /** TLS/SASL settings (validated); a driver throws SetupError for what its client cannot honour. */
  readonly security?: SecurityOptions | undefined;
}

/**
 * What a driver can and cannot do. The shared layer turns an option a driver cannot honour
 * into a SetupError; the conformance suite skips (explicitly) what a transport lacks.
 */
export interface DriverCapabilities {
  /** Name used in logs, errors and test titles. */
  readonly name: string;
  /** `groupInstanceId` (static membership). */
  readonly staticMembership: boolean;
  /** `maxPollIntervalMs`. */
  readonly maxPollInterval: boolean;
  /** Assignment strategies the client implements. */
  readonly assignmentStrategies: readonly AssignmentStrategy[];
  /** A pattern subscription also picks up matching topics created after it started. */
  readonly patternPicksUpNewTopics: boolean;
  /** Real network transport (false for the in-memory test driver). */
  readonly network: boolean;
  /** Most records per coalesced send that suit the client (default 5,000). */
  readonly maxSendRecords?: number;
}

/** The client-library driver contract. */
export interface KafkaDriver {
  readonly capabilities: DriverCapabilities;
  /** Connects the producer. */
  connect(): Promise<void>;
  /**
   * Optional: resolves once the connected producer can deliver without finishing setup of its
   * own first (librdkafka's idempotent producer asks for its producer id after connecting, on a
   * 500 ms timer, and holds every record until it has one). Bounded by the driver; never
   * rejects. `broker.connect()` waits for it, `broker.start()` while subscribers join.
   */
  ready?(): Promise<void>;
  /** Flushes and disconnects the producer. */
  disconnect(): Promise<void>;
  /**
   * Produces records; resolves once all are acknowledged, with one metadata entry per record
   * in input order. Rejects if any record failed.
   */
  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]>;
  /**
   * Optional: hands one record to the client now; `settle` hears its own outcome once
   * (`reject` with a `PublishError`). Only for a client that batches records on the wire by
   * itself and writes each partition's records in call order, retries included (librdkafka).
   * The broker still gathers the publishes of an event-loop turn, then hands them over one by
   * one in a tight loop, so each publish succeeds or fails on its own. Calls to `send` and
   * `produce` keep their order.
   */
  produce?(record: OutgoingRecord, settle: Settle): void;
  /** Creates a consumer (not yet started). */
  createConsumer(spec: ConsumerSpec, callbacks: ConsumerCallbacks): DriverConsumer;
  /**
   * Checks at declaration time that the client can honour a subscription (e.g. a RegExp the
   * client's regex engine cannot express); throws a SetupError naming the option.
   */
  checkSubscription?(subscription: Subscription): void;
  /** Checks that the cluster answers (a metadata round trip) within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
}

/** Builds a driver from connection settings. */
export type DriverFactory = (config: DriverConfig) => KafkaDriver;
