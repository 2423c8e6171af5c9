/**
 * The contract between the shared Kafka layer and a client library. Drivers are thin: they
 * connect, produce, run a consumer that hands over fetched batches, and map client errors.
 * Everything users can observe is decided above this contract, once.
 */
import type { Logger } from "@faststream/core";

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

/** Control handed to the batch callback. */
export interface BatchControl {
  /** Marks everything up to and including `offset` as processed (committed per the driver's commit cycle). */
  resolveOffset(offset: string): void;
  /** Sends a heartbeat if one is due (keeps the group session alive during long batches). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: stop processing and return. */
  isRunning(): boolean;
  /** True if the partition was revoked while processing (a rebalance): stop and return. */
  isStale(): boolean;
}

/** Callbacks from a driver consumer to the shared layer. */
export interface ConsumerCallbacks {
  /** Processes one partition's batch. Must not throw for a bad message. */
  onBatch(batch: RawBatch, control: BatchControl): Promise<void>;
  /** Partitions were assigned to this member (also called with `[]` if it got none). */
  onAssigned(partitions: readonly TopicPartition[]): void;
  /** Partitions were taken away. */
  onRevoked(partitions: readonly TopicPartition[]): void;
  /** The consumer stopped on an error it cannot recover from. */
  onCrash(error: Error): void;
}

/** Normalised consumer settings (milliseconds everywhere). */
export interface ConsumerSpec {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly maxWaitMs: number;
  readonly maxBatchSize: number;
  /** Partitions processed at the same time (each partition stays in order). */
  readonly partitionsConcurrently: number;
}

/** A running consumer. */
export interface DriverConsumer {
  /** Connects, subscribes and starts fetching. */
  start(): Promise<void>;
  /** Stops fetching, waits for the batch in flight, commits resolved offsets, leaves the group. */
  stop(): Promise<void>;
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

/** Where a produced record landed. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** Offset as a decimal string, when the client reports it. */
  readonly offset: string | undefined;
}

/** Connection settings common to both drivers. */
export interface DriverConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** What a driver can and cannot do; conformance tests consult these. */
export interface DriverCapabilities {
  /** Name used in logs and test titles. */
  readonly name: string;
}

/** The client-library driver contract. */
export interface KafkaDriver {
  readonly capabilities: DriverCapabilities;
  /** Connects the producer. */
  connect(): Promise<void>;
  /** Flushes and disconnects the producer. */
  disconnect(): Promise<void>;
  /** Produces records; resolves once all are acknowledged, with one metadata entry per record. */
  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]>;
  /** Creates a consumer (not yet started). */
  createConsumer(spec: ConsumerSpec, callbacks: ConsumerCallbacks): DriverConsumer;
}

/** Builds a driver from connection settings. */
export type DriverFactory = (config: DriverConfig) => KafkaDriver;
