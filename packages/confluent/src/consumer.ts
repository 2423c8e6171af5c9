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
  RawHeaders,
  RawRecord,
  TopicPartition,
  TopicPartitionOffset,
} from "@faststream/kafka";
import { BatchGate, partitionKey } from "@faststream/kafka";
import confluent, { type Message } from "@confluentinc/kafka-javascript";
import { consumerConfig, consumerTopicConfig } from "./consumer-config.js";
import { toLibrdkafkaPattern } from "./pattern.js";

/** Methods of the native consumer its typings leave out. */
interface Untyped {
  rebalanceProtocol(): "NONE" | "EAGER" | "COOPERATIVE";
  incrementalAssign(partitions: TopicPartition[]): void;
  incrementalUnassign(partitions: TopicPartition[]): void;
  assignmentLost(): boolean;
  /** consume(n) waits only for the first record, then takes what is already fetched. */
  setDefaultIsTimeoutOnlyForFirstMessage(value: boolean): void;
}
type NativeConsumer = InstanceType<typeof confluent.KafkaConsumer> & Untyped;

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
/** How long a seek may take in librdkafka (it runs off the event loop). */
const SEEK_TIMEOUT_MS = 5_000;
/** Pause before polling again after a failed poll, so a persistent error does not spin. */
const POLL_ERROR_BACKOFF_MS = 100;

/** What this member knows about one partition it holds. */
interface Held {
  readonly tp: TopicPartition;
  /** Bumped by seek and pause: batches started before are stale. */
  generation: number;
  paused: boolean;
  /** Where fetching must start again on resume (records handed over while paused, unprocessed). */
  rewindTo: number | undefined;
}

/** One partition's records of a poll. */
interface Slice {
  readonly held: Held;
  readonly records: RawRecord[];
}

/** Native headers (one single-key object per header) in the contract's shape. */
function toHeaders(list: readonly Record<string, Buffer | string>[]): RawHeaders {
  const out: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const h of list) {
    for (const k in h) {
      const v = h[k]!;
      const prev = out[k];
      if (prev === undefined) out[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else out[k] = [prev, v];
    }
  }
  return out;
}

function toRecord(m: Message): RawRecord {
  const key = m.key === undefined || m.key === null ? null : typeof m.key === "string" ? Buffer.from(m.key) : m.key;
  return {
    key,
    value: m.value ?? null,
    headers: m.headers ? toHeaders(m.headers) : undefined,
    offset: String(m.offset),
    timestamp: String(m.timestamp ?? -1),
  };
}

/** A {@link DriverConsumer} on librdkafka's consumer. */
export class ConfluentConsumer implements DriverConsumer {
  readonly #spec: ConsumerSpec;
  readonly #config: DriverConfig;
  readonly #callbacks: ConsumerCallbacks;
  readonly #client: NativeConsumer;
  readonly #gate: BatchGate;
  readonly #held = new Map<string, Held>();
  /** Seeks librdkafka has not finished: the next poll waits for them. */
  readonly #seeks = new Set<Promise<void>>();
  #loop: Promise<void> | undefined;
  #connected = false;
  #disconnecting: Promise<void> | undefined;

  constructor(config: DriverConfig, spec: ConsumerSpec, callbacks: ConsumerCallbacks) {
    this.#config = config;
    this.#spec = spec;
    this.#callbacks = callbacks;
    this.#gate = new BatchGate(callbacks);
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
    this.#loop = this.#run();
  }

  /**
   * Stops handing over batches, waits for those in flight and for the poll in flight, pauses
   * what is held (records a last fetch returns while closing can otherwise make librdkafka's
   * close hang), then leaves the group. Commits nothing.
   */
  async stop(): Promise<void> {
    await this.#gate.close();
    await this.#loop;
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
    if (held) {
      held.generation++;
      held.rewindTo = undefined;
    }
    this.#seek(target.topic, target.partition, Number(target.offset));
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const held = this.#held.get(partitionKey(topic, partition));
      if (!held) continue;
      held.generation++;
      held.paused = true;
    }
    this.#client.pause(partitions.map(({ topic, partition }) => ({ topic, partition })));
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const held = this.#held.get(partitionKey(topic, partition));
      if (!held?.paused) continue;
      held.paused = false;
      // Records handed over while paused and not processed are fetched again.
      if (held.rewindTo !== undefined) this.#seek(topic, partition, held.rewindTo);
      held.rewindTo = undefined;
    }
    this.#client.resume(partitions.map(({ topic, partition }) => ({ topic, partition })));
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
      if (this.#seeks.size > 0) await Promise.all([...this.#seeks]);
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
      await this.#dispatch(this.#slices(messages));
    }
  }

  #poll(): Promise<Message[]> {
    return new Promise((resolve, reject) => {
      this.#client.consume(this.#spec.maxBatchSize, (err, messages) => (err ? reject(err) : resolve(messages)));
    });
  }

  /**
   * Splits a poll by partition, keeping each partition's order. Records of partitions not held
   * (revoked meanwhile) are dropped. Records of paused partitions are not handed over: fetching
   * starts again at the first of them on resume.
   */
  #slices(messages: Message[]): Slice[] {
    const slices = new Map<Held, RawRecord[]>();
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
        if (held && !records && !held.paused) {
          records = [];
          slices.set(held, records);
        }
      }
      if (!held) continue;
      if (held.paused) {
        if (held.rewindTo === undefined || m.offset < held.rewindTo) held.rewindTo = m.offset;
        continue;
      }
      records!.push(toRecord(m));
    }
    return [...slices].map(([h, list]) => ({ held: h, records: list }));
  }

  /** Runs the slices, at most `partitionsConcurrently` at a time; resolves when all are done. */
  async #dispatch(slices: Slice[]): Promise<void> {
    if (slices.length === 1) return this.#runSlice(slices[0]!);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < slices.length) await this.#runSlice(slices[next++]!);
    };
    const n = Math.min(this.#spec.partitionsConcurrently, slices.length);
    await Promise.all(Array.from({ length: n }, worker));
  }

  async #runSlice({ held, records }: Slice): Promise<void> {
    if (records.length === 0) return;
    const generation = held.generation;
    const { topic, partition } = held.tp;
    const key = partitionKey(topic, partition);
    let resolved: string | undefined;
    await this.#gate.run(
      { topic, partition, messages: records },
      {
        resolveOffset: (offset) => {
          resolved = offset;
        },
        heartbeat: () => Promise.resolve(), // librdkafka heartbeats on its own thread
        isRunning: () => this.#gate.running,
        isStale: () => held.generation !== generation || this.#held.get(key) !== held,
      },
      this.#spec.maxBatchSize,
    );
    const lastOffset = records[records.length - 1]!.offset;
    if (resolved === lastOffset || this.#held.get(key) !== held || !this.#gate.running) return;
    // Not all taken: fetching starts again at the first record left (a seek since wins).
    const first = resolved === undefined ? Number(records[0]!.offset) : Number(resolved) + 1;
    if (held.paused && held.generation !== generation) {
      if (held.rewindTo === undefined || first < held.rewindTo) held.rewindTo = first;
    } else if (held.generation === generation) {
      this.#seek(topic, partition, first);
    }
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
        this.#held.set(partitionKey(tp.topic, tp.partition), { tp, generation: 0, paused: false, rewindTo: undefined });
      }
      if (cooperative) this.#client.incrementalAssign(added);
      else this.#client.assign(added);
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
      revoked.push(held.tp);
    }
    this.#gate.revoke(revoked);
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
