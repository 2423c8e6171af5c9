/**
 * The confluent side of {@link DriverConsumer}, on the client's native (librdkafka) consumer:
 * a `consume(n)` loop hands each poll's records to the shared layer per partition, offsets are
 * committed only when told, and `rebalance_cb` reports assignment, revoke and loss. The
 * KafkaJS-style consumer of the same library was used before; it costs a cache, a readers-writer
 * lock on AsyncLocalStorage (promise hooks for the whole process) and a converted object per
 * record, and consumed about 1.6x slower on the bench.
 */
import type {
  CommitOptions,
  ConsumerCallbacks,
  ConsumerSpec,
  DriverConfig,
  DriverConsumer,
  RawRecord,
  TopicPartition,
  TopicPartitionOffset,
} from "@faststream/kafka";
import { BatchGate, partitionKey, Semaphore } from "@faststream/kafka";
import confluent, { type Message } from "@confluentinc/kafka-javascript";
import { consumerConfig, consumerTopicConfig } from "./config.js";
import { type Held, type NativeConsumer, newHeld, type Slice, toRecord } from "./consumer-state.js";
import { toLibrdkafkaPattern } from "./pattern.js";
import { ReadAhead } from "./read-ahead.js";

/** librdkafka error codes seen here. */
const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
const ERR_TIMED_OUT = -185;
const ERR_FATAL = -150;

/**
 * How long one `consume(n)` waits for its first record (it then takes what is already fetched).
 * Bounds how long stop() waits for the poll in flight; rebalances are served during polls.
 */
const POLL_WAIT_MS = 100;
/** Most records one poll takes. */
const MAX_POLL_RECORDS = 10_000;
/** How long a seek may take in librdkafka (it runs off the event loop). */
const SEEK_TIMEOUT_MS = 5_000;
/** Pause before polling again after a failed poll, so a persistent error does not spin. */
const POLL_ERROR_BACKOFF_MS = 100;

/** A {@link DriverConsumer} on librdkafka's consumer. */
export class ConfluentConsumer implements DriverConsumer {
  readonly #spec: ConsumerSpec;
  readonly #config: DriverConfig;
  readonly #callbacks: ConsumerCallbacks;
  readonly #client: NativeConsumer;
  readonly #gate: BatchGate;
  /** Partitions whose batches run at the same time (`partitionsConcurrently`). */
  readonly #running: Semaphore;
  readonly #held = new Map<string, Held>();
  /** Seeks librdkafka has not finished: the next poll waits for them. */
  readonly #seeks = new Set<Promise<void>>();
  #loop: Promise<void> | undefined;
  readonly #readAhead = new ReadAhead({
    held: this.#held,
    isRunning: () => this.#gate.running,
    pause: (held) => this.#client.pause([held.tp]),
    flow: (held, pausedHere) => {
      this.#applyRewind(held);
      if (pausedHere) this.#client.resume([held.tp]);
    },
  });
  #connected = false;
  #disconnecting: Promise<void> | undefined;

  constructor(config: DriverConfig, spec: ConsumerSpec, callbacks: ConsumerCallbacks) {
    this.#config = config;
    this.#spec = spec;
    this.#callbacks = callbacks;
    this.#gate = new BatchGate(callbacks);
    this.#running = new Semaphore(Math.max(1, spec.partitionsConcurrently));
    this.#client = new confluent.KafkaConsumer(
      consumerConfig(config, spec, this.#rebalance),
      consumerTopicConfig(spec),
    ) as NativeConsumer;
    this.#client.setDefaultConsumeTimeout(POLL_WAIT_MS);
    this.#client.setDefaultIsTimeoutOnlyForFirstMessage(true);
    const onError = (e: unknown): void => this.#onError(e as Error & { code?: number; isFatal?: boolean });
    this.#client.on("event.error", onError);
    // The client emits plain "error" too (a failed OAUTHBEARER refresh): never unhandled.
    this.#client.on("error" as "event.error", onError);
  }

  async start(): Promise<void> {
    const sub = this.#spec.subscription;
    const topics =
      sub.kind === "topics"
        ? [...sub.topics]
        : sub.kind === "pattern"
          ? [toLibrdkafkaPattern(sub.pattern)]
          : [...new Set(sub.partitions.map((p) => p.topic))];
    try {
      await new Promise<void>((resolve, reject) => {
        this.#client.connect({ timeout: Math.max(1000, this.#config.connectTimeoutMs) }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
      this.#connected = true;
      this.#client.subscribe(topics);
    } catch (err) {
      await this.#disconnect();
      throw err;
    }
    this.#gate.running = true;
    // Assignment arrives through the rebalance callback, during polls.
    // An unexpected error in the loop ends this consumer as a crash the subscriber reports
    // (never an unhandled rejection that would end the process).
    this.#loop = this.#run().catch((err: unknown) => {
      this.#gate.running = false;
      this.#callbacks.onCrash(err instanceof Error ? err : new Error(String(err)));
    });
  }

  /**
   * Stops handing over batches, waits for those in flight and for the poll in flight, pauses
   * what is held (records a last fetch returns while closing can otherwise make librdkafka's
   * close hang), then leaves the group. Commits nothing.
   */
  async stop(): Promise<void> {
    await this.#gate.close();
    this.#readAhead.wake();
    await this.#loop;
    await Promise.all([...this.#held.values()].map((h) => h.tail));
    const held = [...this.#held.values()].map((h) => h.tp);
    if (held.length > 0 && this.#connected) {
      try {
        this.#client.pause(held.map(({ topic, partition }) => ({ topic, partition })));
      } catch {
        // Not assigned any more: nothing to pause.
      }
    }
    await this.#disconnect();
  }

  /**
   * Without `acknowledged`, librdkafka's asynchronous commit (queued). With it, its synchronous
   * commit: returns once the coordinator stored the offsets, throws when it refused them (it
   * blocks the event loop for that round trip, so the shared layer keeps it for final commits).
   */
  async commit(offsets: readonly TopicPartitionOffset[], options?: CommitOptions): Promise<void> {
    if (offsets.length === 0) return;
    const list = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: Number(offset) }));
    if (options?.acknowledged) this.#client.commitSync(list);
    else this.#client.commit(list);
  }

  seek(target: TopicPartitionOffset): void {
    const held = this.#held.get(partitionKey(target.topic, target.partition));
    const offset = Number(target.offset);
    if (held) {
      held.generation++;
      held.seeks++;
      held.rewindTo = undefined;
      held.moved = true;
      held.seekTarget = offset;
    }
    this.#seek(target.topic, target.partition, offset);
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const held = this.#held.get(partitionKey(topic, partition));
      if (!held) continue;
      held.generation++;
      held.paused = true;
      held.moved = true;
    }
    this.#client.pause(partitions.map(({ topic, partition }) => ({ topic, partition })));
  }

  resume(partitions: readonly TopicPartition[]): void {
    const resumed: TopicPartition[] = [];
    for (const { topic, partition } of partitions) {
      const held = this.#held.get(partitionKey(topic, partition));
      if (!held?.paused) continue;
      held.paused = false;
      // Batches fetched before the pause still drain: fetching restarts once they did.
      if (held.queued > 0) {
        held.resuming = true;
        continue;
      }
      this.#applyRewind(held);
      resumed.push({ topic, partition });
    }
    if (resumed.length > 0) this.#client.resume(resumed);
  }

  /**
   * Fetching of a partition must restart at `first` (or earlier) because a pause left records
   * unprocessed: at once if it flows and nothing of it is queued, else when that holds.
   */
  #rewind(held: Held, first: number): void {
    held.rewindTo = held.rewindTo === undefined ? first : Math.min(held.rewindTo, first);
    if (!held.paused && !held.resuming && held.queued === 0) this.#applyRewind(held);
  }

  #applyRewind(held: Held): void {
    if (held.rewindTo === undefined) return;
    this.#seek(held.tp.topic, held.tp.partition, held.rewindTo);
    held.rewindTo = undefined;
  }

  #seek(topic: string, partition: number, offset: number): void {
    const done = new Promise<void>((resolve) => {
      this.#client.seek({ topic, partition, offset }, SEEK_TIMEOUT_MS, (err) => {
        if (err) this.#config.logger.warn({ topic, partition, offset, err }, "confluent: seek failed");
        resolve();
      });
    });
    this.#seeks.add(done);
    void done.then(() => this.#seeks.delete(done));
  }

  /** Polls and hands over until stopped. */
  async #run(): Promise<void> {
    while (this.#gate.running) {
      await this.#readAhead.room();
      if (this.#seeks.size > 0) await Promise.all([...this.#seeks]);
      for (const held of this.#held.values()) {
        held.moved = false;
        held.seekTarget = undefined;
      }
      let messages: Message[];
      try {
        messages = await this.#poll();
      } catch (err) {
        if ((err as { code?: number }).code !== ERR_TIMED_OUT && this.#gate.running) {
          this.#config.logger.warn({ err }, "confluent: poll failed; polling again");
          await new Promise((resolve) => setTimeout(resolve, POLL_ERROR_BACKOFF_MS));
        }
        continue;
      }
      if (messages.length === 0 || !this.#gate.running) continue;
      this.#dispatch(this.#slices(messages));
    }
  }

  #poll(): Promise<Message[]> {
    return new Promise((resolve, reject) => {
      // Room for a full batch of every partition held: a poll returns records of several.
      const n = Math.min(MAX_POLL_RECORDS, this.#spec.maxBatchSize * Math.max(1, this.#held.size));
      this.#client.consume(n, (err, messages) => (err ? reject(err) : resolve(messages)));
    });
  }

  /**
   * Splits a poll by partition, keeping each partition's order. Records of partitions not held
   * (revoked meanwhile) are dropped. Records of a partition paused or sought during the poll are
   * not handed over: the latest seek is applied again, or, paused, fetching restarts at the
   * first of them on resume.
   */
  #slices(messages: Message[]): Slice[] {
    const slices = new Map<Held, RawRecord[]>();
    /** Partitions moved during the poll, and the first of their records it returned. */
    const dropped = new Map<Held, number>();
    let held: Held | undefined;
    let records: RawRecord[] | undefined;
    let lastTopic = "";
    let lastPartition = -1;
    for (const m of messages) {
      if (m.partition !== lastPartition || m.topic !== lastTopic) {
        lastTopic = m.topic;
        lastPartition = m.partition;
        held = this.#held.get(partitionKey(m.topic, m.partition));
        records = held ? slices.get(held) : undefined;
        if (held && !records && !held.paused && !held.moved) {
          records = [];
          slices.set(held, records);
        }
      }
      if (!held) continue;
      if (held.moved) {
        if (!dropped.has(held)) dropped.set(held, m.offset);
      } else if (held.paused) {
        this.#rewind(held, m.offset);
      } else {
        records!.push(toRecord(m));
      }
    }
    for (const [h, first] of dropped) {
      if (h.seekTarget !== undefined) this.#seek(h.tp.topic, h.tp.partition, h.seekTarget);
      else this.#rewind(h, first);
    }
    return [...slices].map(([h, list]) => ({ held: h, records: list, generation: h.generation, seeks: h.seeks }));
  }

  /**
   * Queues each slice behind its partition's earlier ones and returns at once: a partition whose
   * handler is slow does not hold up the others (at most `partitionsConcurrently` run at a time).
   * What is fetched ahead stays bounded (see {@link ReadAhead}).
   */
  #dispatch(slices: Slice[]): void {
    for (const slice of slices) {
      const held = slice.held;
      this.#readAhead.added(held);
      held.tail = held.tail.then(() => this.#runSlice(slice)).finally(() => this.#readAhead.removed(held));
    }
  }

  async #runSlice({ held, records, generation, seeks }: Slice): Promise<void> {
    const { topic, partition } = held.tp;
    const current = (): boolean => held.generation === generation && !held.revoked;
    if (!current() || !this.#gate.running) {
      this.#stale(held, generation, seeks, Number(records[0]!.offset));
      return;
    }
    const wait = this.#running.acquire();
    if (wait) await wait;
    let resolved: string | undefined;
    try {
      await this.#gate.run(
        { topic, partition, messages: records },
        {
          resolveOffset: (offset) => {
            resolved = offset;
          },
          heartbeat: () => Promise.resolve(), // librdkafka heartbeats on its own thread
          isRunning: () => this.#gate.running,
          isStale: () => !current(),
        },
        this.#spec.maxBatchSize,
      );
    } finally {
      this.#running.release();
    }
    const lastOffset = records[records.length - 1]!.offset;
    if (resolved === lastOffset || !this.#gate.running) return;
    // Not all taken: fetching starts again at the first record left (a seek since wins).
    this.#stale(held, generation, seeks, resolved === undefined ? Number(records[0]!.offset) : Number(resolved) + 1);
  }

  /**
   * Records from `first` on were fetched but not processed. A seek or a revoke since decides by
   * itself; after a pause, fetching restarts there on resume; if nothing moved the partition, it
   * is sought there now (so later batches of it, already fetched, are dropped as stale).
   */
  #stale(held: Held, generation: number, seeks: number, first: number): void {
    const { topic, partition } = held.tp;
    if (held.revoked || !this.#gate.running) return;
    if (held.seeks !== seeks) return;
    if (held.generation === generation && !held.paused) this.seek({ topic, partition, offset: String(first) });
    else this.#rewind(held, first);
  }

  /**
   * librdkafka's rebalance callback (served during a poll). librdkafka waits for the assign or
   * unassign call, so onRevoked is awaited while the partitions are still assigned (final
   * commits work). `partitions` subscriptions take exactly the requested partitions (their
   * group has this member only).
   */
  readonly #rebalance = (err: { code: number }, assignment: { topic: string; partition: number }[]): void => {
    void this.#onRebalance(err, assignment).catch((e: unknown) =>
      this.#config.logger.error({ err: e }, "confluent: rebalance handling failed"),
    );
  };

  async #onRebalance(err: { code: number }, assignment: TopicPartition[]): Promise<void> {
    const cooperative = this.#client.rebalanceProtocol() === "COOPERATIVE";
    if (err.code === ERR_ASSIGN_PARTITIONS) {
      const sub = this.#spec.subscription;
      // Eager protocols: the whole assignment; cooperative: the partitions added.
      const added = (sub.kind === "partitions" ? sub.partitions : assignment).map(({ topic, partition }) => ({
        topic,
        partition,
      }));
      for (const tp of added) {
        this.#held.set(partitionKey(tp.topic, tp.partition), newHeld(tp));
      }
      if (cooperative) this.#client.incrementalAssign(added);
      else this.#client.assign(added);
      // A pause outlives the assignment in librdkafka: a partition paused (or throttled) when it
      // was revoked would otherwise stay paused now that it is back.
      if (added.length > 0) this.#client.resume(added);
      this.#callbacks.onAssigned(added);
      return;
    }
    if (err.code !== ERR_REVOKE_PARTITIONS) return;
    const revoked: TopicPartition[] = [];
    for (const { topic, partition } of assignment) {
      const key = partitionKey(topic, partition);
      const held = this.#held.get(key);
      if (!held) continue;
      this.#held.delete(key);
      held.revoked = true;
      revoked.push(held.tp);
    }
    this.#gate.invalidate(revoked);
    try {
      // stop() gives everything up itself: no callbacks for that.
      if (this.#gate.running && revoked.length > 0) {
        if (this.#client.assignmentLost()) this.#callbacks.onLost(revoked);
        else await this.#callbacks.onRevoked(revoked);
      }
    } finally {
      if (cooperative) this.#client.incrementalUnassign(assignment);
      else this.#client.unassign();
    }
  }

  /** librdkafka retries what it can; only its fatal errors end the consumer. */
  #onError(e: Error & { code?: number; isFatal?: boolean }): void {
    if (e.code !== ERR_FATAL && e.isFatal !== true) {
      this.#config.logger.warn({ client: "confluent", err: e }, e.message);
      return;
    }
    this.#gate.running = false;
    this.#callbacks.onCrash(e);
  }

  /** Disconnects once (the client calls back only the first caller). */
  #disconnect(): Promise<void> {
    this.#disconnecting ??= new Promise<void>((resolve) => {
      this.#client.disconnect(() => resolve());
    }).then(() => {
      this.#connected = false;
    });
    return this.#disconnecting;
  }
}
