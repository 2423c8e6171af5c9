import type {
  BatchControl,
  ConsumerCallbacks,
  ConsumerSpec,
  DriverCapabilities,
  DriverConsumer,
  KafkaDriver,
  OutgoingRecord,
  RecordMetadata,
  TopicPartition,
  TopicPartitionOffset,
} from "../driver.js";
import { MemoryCluster, type MemoryMember } from "./cluster.js";

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** A consumer of the in-memory cluster, with the same semantics as the network drivers. */
class MemoryConsumer implements DriverConsumer, MemoryMember {
  readonly id = crypto.randomUUID();
  readonly #cluster: MemoryCluster;
  readonly #spec: ConsumerSpec;
  readonly #callbacks: ConsumerCallbacks;
  #assignment: TopicPartition[] = [];
  readonly #positions = new Map<string, number>();
  readonly #paused = new Set<string>();
  readonly #stale = new Set<string>();
  readonly #inflight = new Map<string, Promise<void>>();
  #running = false;
  /** Logical time the consumer subscribed at: topics created later are read from their start. */
  #since = 0;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(cluster: MemoryCluster, spec: ConsumerSpec, callbacks: ConsumerCallbacks) {
    this.#cluster = cluster;
    this.#spec = spec;
    this.#callbacks = callbacks;
  }

  wants(topic: string): boolean {
    const sub = this.#spec.subscription;
    if (sub.kind === "topics") return sub.topics.includes(topic);
    if (sub.kind === "pattern") return sub.pattern.test(topic);
    return sub.partitions.some((p) => p.topic === topic);
  }

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.#assignment = [...partitions];
    for (const { topic, partition } of partitions) {
      const committed = this.#cluster.committed(this.#spec.groupId, topic, partition);
      const newer = this.#cluster.createdAt(topic) > this.#since;
      const start = committed ?? (this.#spec.fromBeginning || newer ? 0 : this.#cluster.endOffset(topic, partition));
      this.#positions.set(tpKey(topic, partition), start);
    }
    this.#callbacks.onAssigned(partitions);
    this.#poke();
  }

  async revoke(): Promise<void> {
    const revoked = this.#assignment;
    if (revoked.length === 0) return;
    for (const { topic, partition } of revoked) this.#stale.add(tpKey(topic, partition));
    await Promise.all(this.#inflight.values());
    await this.#callbacks.onRevoked(revoked);
    this.#assignment = [];
    this.#positions.clear();
    this.#stale.clear();
  }

  async start(): Promise<void> {
    this.#running = true;
    this.#since = this.#cluster.now();
    const sub = this.#spec.subscription;
    if (sub.kind === "partitions") {
      for (const p of sub.partitions) this.#cluster.partitions(p.topic);
      await this.assign(sub.partitions);
    } else {
      if (sub.kind === "topics") for (const t of sub.topics) this.#cluster.partitions(t);
      await this.#cluster.join(this.#spec.groupId, this);
    }
    this.#loop = this.#run();
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let dispatched = false;
      for (const { topic, partition } of this.#assignment) {
        const key = tpKey(topic, partition);
        if (this.#paused.has(key) || this.#inflight.has(key)) continue;
        if (this.#inflight.size >= this.#spec.partitionsConcurrently) break;
        const position = this.#positions.get(key) ?? 0;
        const records = this.#cluster.read(topic, partition, position, this.#spec.maxBatchSize);
        if (records.length === 0) continue;
        dispatched = true;
        this.#dispatch(key, topic, partition, records);
      }
      if (!dispatched) {
        await Promise.race([
          this.#cluster.changed(),
          new Promise<void>((resolve) => {
            this.#wake = resolve;
          }),
        ]);
      }
    }
  }

  #dispatch(key: string, topic: string, partition: number, records: ReturnType<MemoryCluster["read"]>): void {
    const control: BatchControl = {
      resolveOffset: (offset) => {
        if (!this.#stale.has(key)) this.#positions.set(key, Number(offset) + 1);
      },
      heartbeat: async () => {},
      isRunning: () => this.#running,
      isStale: () => this.#stale.has(key),
    };
    const work = this.#callbacks
      .onBatch({ topic, partition, messages: records }, control)
      .catch((err: unknown) => {
        this.#callbacks.onCrash(err instanceof Error ? err : new Error(String(err)));
        this.#running = false;
      })
      .finally(() => {
        this.#inflight.delete(key);
        this.#stale.delete(key);
        this.#poke();
      });
    this.#inflight.set(key, work);
  }

  async stop(): Promise<void> {
    if (!this.#running && !this.#loop) return;
    this.#running = false;
    this.#poke();
    this.#cluster.wake();
    await this.#loop;
    this.#loop = undefined;
    await Promise.all(this.#inflight.values());
    if (this.#spec.subscription.kind !== "partitions") await this.#cluster.leave(this.#spec.groupId, this);
    this.#assignment = [];
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.#cluster.commit(this.#spec.groupId, offsets);
  }

  seek(target: TopicPartitionOffset): void {
    const key = tpKey(target.topic, target.partition);
    this.#positions.set(key, Number(target.offset));
    if (this.#inflight.has(key)) this.#stale.add(key);
    this.#poke();
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.#paused.add(tpKey(p.topic, p.partition));
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.#paused.delete(tpKey(p.topic, p.partition));
    this.#poke();
  }
}

const CAPABILITIES: DriverCapabilities = {
  name: "memory",
  staticMembership: true,
  maxPollInterval: true,
  assignmentStrategies: ["roundrobin", "range", "cooperative-sticky"],
  patternPicksUpNewTopics: true,
  network: false,
};

/** A driver over an in-memory cluster: no network, Kafka's semantics. */
export class MemoryDriver implements KafkaDriver {
  readonly capabilities = CAPABILITIES;
  readonly cluster: MemoryCluster;

  constructor(cluster: MemoryCluster = new MemoryCluster()) {
    this.cluster = cluster;
  }

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    return this.cluster.append(records);
  }

  createConsumer(spec: ConsumerSpec, callbacks: ConsumerCallbacks): DriverConsumer {
    return new MemoryConsumer(this.cluster, spec, callbacks);
  }

  async ping(): Promise<boolean> {
    return true;
  }
}
