/**
 * Bookkeeping every driver's batch callback needs, written once: whether batches are handed
 * over, which batches are in flight, and which became stale because their partition was revoked.
 */
import type {
  BatchControl,
  ConsumerCallbacks,
  DriverConsumer,
  RawBatch,
  TopicPartition,
  TopicPartitionOffset,
  CommitOptions,
} from "./driver.js";

/** What a client's batch callback offers (kafkajs' eachBatch; the confluent driver builds its own). */
export interface ClientBatchControl {
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

const keyOf = (topic: string, partition: number): string => `${partition}:${topic}`;

/** Gates batches between a client and the shared layer. */
export class BatchGate {
  readonly #callbacks: ConsumerCallbacks;
  readonly #inFlight = new Set<Promise<void>>();
  /** Bumped per partition on revoke and seek: a batch whose partition moved on is stale. */
  readonly #epochs = new Map<string, { n: number }>();
  /** True between a successful start and stop: batches are handed over only then. */
  running = false;

  constructor(callbacks: ConsumerCallbacks) {
    this.#callbacks = callbacks;
  }

  /** Marks partitions revoked or sought: batches of them started before now are stale. */
  invalidate(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.#epoch(topic, partition).n++;
  }

  /** The partition's revoke counter (one object, so a batch compares it without a lookup). */
  #epoch(topic: string, partition: number): { n: number } {
    const key = keyOf(topic, partition);
    let epoch = this.#epochs.get(key);
    if (!epoch) {
      epoch = { n: 0 };
      this.#epochs.set(key, epoch);
    }
    return epoch;
  }

  /**
   * Hands a client batch to the shared layer (unless stopped) in chunks of at most
   * `maxBatchSize` records, so the contract's batch size holds whatever the client fetched;
   * tracks it until done.
   */
  run(batch: RawBatch, client: ClientBatchControl, maxBatchSize = Number.POSITIVE_INFINITY): Promise<void> {
    if (!this.running) return Promise.resolve();
    if (batch.messages.length > maxBatchSize) return this.#chunked(batch, client, maxBatchSize);
    const slot = this.#epoch(batch.topic, batch.partition);
    const epoch = slot.n;
    const control: BatchControl = {
      // Moves the client's next fetch position; commits are explicit.
      resolveOffset: (offset) => client.resolveOffset(offset),
      heartbeat: () => client.heartbeat(),
      isRunning: () => this.running && client.isRunning(),
      // Revokes and the seeks made through a driver are tracked here; a client may know more.
      isStale: () => client.isStale() || slot.n !== epoch,
    };
    const done = this.#callbacks.onBatch(batch, control);
    this.#inFlight.add(done);
    return done.finally(() => this.#inFlight.delete(done));
  }

  async #chunked(batch: RawBatch, client: ClientBatchControl, size: number): Promise<void> {
    const slot = this.#epoch(batch.topic, batch.partition);
    const epoch = slot.n;
    for (let i = 0; i < batch.messages.length; i += size) {
      if (!this.running || !client.isRunning() || client.isStale() || slot.n !== epoch) return;
      await this.run(
        { topic: batch.topic, partition: batch.partition, messages: batch.messages.slice(i, i + size) },
        client,
      );
    }
  }

  /** Stops handing over batches and waits for those in flight. */
  async close(): Promise<void> {
    this.running = false;
    await Promise.allSettled([...this.#inFlight]);
  }
}

/** Groups partitions by topic, the shape clients take for pause/resume. */
export function groupByTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic);
    if (list) list.push(partition);
    else byTopic.set(topic, [partition]);
  }
  return [...byTopic].map(([topic, list]) => ({ topic, partitions: list }));
}

/** A stable map key for a topic partition. */
export const partitionKey = keyOf;

/** The consumer API of KafkaJS-shaped clients (kafkajs, confluent's KafkaJS-style API). */
export interface KafkaJsStyleClient {
  disconnect(): Promise<void>;
  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<unknown>;
  seek(target: { topic: string; partition: number; offset: string }): void;
  pause(topics: { topic: string; partitions: number[] }[]): void;
  resume(topics: { topic: string; partitions: number[] }[]): void;
}

/**
 * The parts of a driver consumer that are the same on every KafkaJS-shaped client: stop (no
 * new batches, wait for those in flight — their commits still count —, then leave the group;
 * nothing is committed here), explicit commits, seek (moves the fetch position only, with
 * auto-commit off), pause and resume.
 */
export abstract class KafkaJsStyleConsumer implements DriverConsumer {
  protected abstract readonly client: KafkaJsStyleClient;
  protected abstract readonly gate: BatchGate;

  abstract start(): Promise<void>;

  async stop(): Promise<void> {
    await this.gate.close();
    await this.client.disconnect();
  }

  async commit(offsets: readonly TopicPartitionOffset[], _options?: CommitOptions): Promise<void> {
    if (offsets.length === 0) return;
    await this.client.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
  }

  seek(target: TopicPartitionOffset): void {
    // Every seek goes through here, so the gate knows which batches it made stale.
    this.gate.invalidate([target]);
    this.client.seek({ topic: target.topic, partition: target.partition, offset: target.offset });
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.client.pause(groupByTopic(partitions));
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.client.resume(groupByTopic(partitions));
  }
}
