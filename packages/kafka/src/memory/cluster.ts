import type { OutgoingRecord, RawRecord, RecordMetadata, TopicPartition } from "../driver.js";
import { setHeader } from "../headers.js";
import { partitionForKey } from "../murmur2.js";

/** A group member as the in-memory cluster sees it. @internal */
export interface MemoryMember {
  readonly id: string;
  /** Topics it wants (resolved against the cluster's topics). */
  wants(topic: string): boolean;
  /** Called with the member's new assignment after every rebalance. */
  assign(partitions: readonly TopicPartition[]): Promise<void>;
  /** Called before a rebalance takes partitions away; awaited. */
  revoke(): Promise<void>;
}

interface Group {
  readonly members: MemoryMember[];
  readonly committed: Map<string, number>;
  rebalancing: Promise<void>;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * An in-memory Kafka cluster: partitioned logs, murmur2 key partitioning, consumer groups with
 * rebalances and committed offsets. No network; used by `TestKafkaBroker` and the in-memory
 * transport of the conformance suite.
 */
export class MemoryCluster {
  /** Partitions of topics created on first use. */
  readonly defaultPartitions: number;
  readonly #topics = new Map<string, RawRecord[][]>();
  /** Logical clock: when each topic was created. */
  readonly #createdAt = new Map<string, number>();
  #clock = 0;
  readonly #groups = new Map<string, Group>();
  #waiters: (() => void)[] = [];
  #roundRobin = 0;

  constructor(options: { defaultPartitions?: number } = {}) {
    this.defaultPartitions = options.defaultPartitions ?? 1;
  }

  /** Creates a topic (no-op when it exists). */
  createTopic(name: string, partitions = this.defaultPartitions): void {
    if (this.#topics.has(name)) return;
    this.#topics.set(
      name,
      Array.from({ length: partitions }, () => []),
    );
    this.#createdAt.set(name, ++this.#clock);
    this.#notify();
    for (const [groupId, group] of this.#groups) {
      if (group.members.some((m) => m.wants(name))) void this.#rebalance(groupId);
    }
  }

  /** The logical time now (compare with {@link createdAt}). */
  now(): number {
    return this.#clock;
  }

  /** When a topic was created, on the logical clock (0 if unknown). */
  createdAt(topic: string): number {
    return this.#createdAt.get(topic) ?? 0;
  }

  /** Topic names. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /** Partition count of a topic (creating it on first use). */
  partitions(topic: string): number {
    this.createTopic(topic);
    return this.#topics.get(topic)!.length;
  }

  /** Appends records; returns where each landed. */
  append(records: readonly OutgoingRecord[]): RecordMetadata[] {
    for (const r of records) {
      const n = this.partitions(r.topic);
      if (r.partition !== undefined && (r.partition < 0 || r.partition >= n)) {
        throw new Error(`topic ${r.topic} has no partition ${r.partition}`);
      }
    }
    const out = records.map((r) => {
      const n = this.partitions(r.topic);
      let partition = r.partition;
      if (partition === undefined) {
        partition = r.key === null ? this.#roundRobin++ % n : partitionForKey(r.key, n);
      }
      if (partition < 0 || partition >= n) throw new Error(`topic ${r.topic} has no partition ${partition}`);
      const log = this.#topics.get(r.topic)![partition]!;
      const headers: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(r.headers)) setHeader(headers, k, typeof v === "string" ? Buffer.from(v) : v);
      log.push({
        key: r.key === null ? null : Buffer.isBuffer(r.key) ? r.key : Buffer.from(r.key),
        value: r.value,
        headers,
        offset: String(log.length),
        timestamp: r.timestamp ?? String(Date.now()),
      });
      return { topic: r.topic, partition, offset: String(log.length - 1) };
    });
    this.#notify();
    return out;
  }

  /** Records of a partition from `offset`, at most `max`. */
  read(topic: string, partition: number, offset: number, max: number): RawRecord[] {
    const log = this.#topics.get(topic)?.[partition];
    return log ? log.slice(offset, offset + max) : [];
  }

  /** Next offset to be written to a partition. */
  endOffset(topic: string, partition: number): number {
    return this.#topics.get(topic)?.[partition]?.length ?? 0;
  }

  /** Resolves on the next change (a write, a commit, a rebalance, a `wake`). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Wakes every waiting consumer. */
  wake(): void {
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Committed offset of a group for a partition. */
  committed(groupId: string, topic: string, partition: number): number | undefined {
    return this.#groups.get(groupId)?.committed.get(tpKey(topic, partition));
  }

  /** Commits offsets for a group. */
  commit(groupId: string, offsets: readonly { topic: string; partition: number; offset: string }[]): void {
    const group = this.#group(groupId);
    for (const o of offsets) group.committed.set(tpKey(o.topic, o.partition), Number(o.offset));
  }

  #group(groupId: string): Group {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = { members: [], committed: new Map(), rebalancing: Promise.resolve() };
      this.#groups.set(groupId, group);
    }
    return group;
  }

  /** Adds a member and rebalances the group. */
  join(groupId: string, member: MemoryMember): Promise<void> {
    this.#group(groupId).members.push(member);
    return this.#rebalance(groupId);
  }

  /** Removes a member and rebalances the group. */
  leave(groupId: string, member: MemoryMember): Promise<void> {
    const group = this.#group(groupId);
    const i = group.members.indexOf(member);
    if (i !== -1) group.members.splice(i, 1);
    return this.#rebalance(groupId);
  }

  /** Eager rebalance: every member gives up its partitions, then partitions are dealt round-robin. */
  #rebalance(groupId: string): Promise<void> {
    const group = this.#group(groupId);
    group.rebalancing = group.rebalancing.then(async () => {
      const members = [...group.members];
      await Promise.all(members.map((m) => m.revoke()));
      const wanted = this.topics()
        .filter((t) => members.some((m) => m.wants(t)))
        .sort()
        .flatMap((topic) => Array.from({ length: this.partitions(topic) }, (_, partition) => ({ topic, partition })));
      const shares = new Map<MemoryMember, TopicPartition[]>(members.map((m) => [m, []]));
      const byTopic = new Map<string, MemoryMember[]>();
      let next = 0;
      for (const tp of wanted) {
        let candidates = byTopic.get(tp.topic);
        if (!candidates) {
          candidates = members.filter((m) => m.wants(tp.topic));
          byTopic.set(tp.topic, candidates);
        }
        shares.get(candidates[next++ % candidates.length]!)!.push(tp);
      }
      await Promise.all(members.map((m) => (group.members.includes(m) ? m.assign(shares.get(m)!) : undefined)));
      this.#notify();
    });
    return group.rebalancing;
  }
}
