/**
 * Machinery of the fault suite (and the soak): a known set of keyed, numbered messages, a
 * publisher that stays a bounded window ahead of the consumers, a tracker of what handlers
 * saw, and the analysis every case asserts and prints: lost, duplicated, order.
 */
import { crc32 } from "node:zlib";
import { type KafkaBrokerBase, partitionForKey } from "@faststream/kafka";
import { withTimeout } from "./timeout.js";

/** The body of every message: its key and its number among the messages of that key. */
export interface Msg {
  readonly key: string;
  readonly seq: number;
}

/** One handler call, as a case records it. */
export interface Handled extends Msg {
  readonly partition: number;
  readonly offset: number;
  /** Which consumer (app instance) handled it. */
  readonly member: string;
}

const idOf = (m: Msg): string => `${m.key}#${m.seq}`;

/** `perPartition` keys for each of `partitions` partitions (by the murmur2 partitioner). */
export function spreadKeys(partitions: number, perPartition: number, prefix = "key"): string[] {
  const counts = new Array<number>(partitions).fill(0);
  const keys: string[] = [];
  for (let i = 0; keys.length < partitions * perPartition; i++) {
    const key = `${prefix}-${i}`;
    const p = partitionForKey(key, partitions);
    if (counts[p]! < perPartition) {
      counts[p] = counts[p]! + 1;
      keys.push(key);
    }
  }
  return keys;
}

/** `total` messages cycling over `keys`: message i has key `keys[i % n]` and seq `floor(i / n)`. */
export function messageSet(keys: readonly string[], total: number): Msg[] {
  return Array.from({ length: total }, (_, i) => ({ key: keys[i % keys.length]!, seq: Math.floor(i / keys.length) }));
}

/**
 * The group coordinator of librdkafka's mock cluster: the broker at index crc32(group) mod the
 * broker count (ids 1..N in order). Real clusters choose differently; faults need the mock.
 */
export function mockCoordinator(groupId: string, brokers: number): number {
  return (crc32(groupId) % brokers) + 1;
}

/** Records handler calls and lets a case await counts (of distinct messages or of calls). */
export class Tracker {
  readonly records: Handled[] = [];
  readonly #seen = new Set<string>();
  readonly #byMember = new Map<string, number>();
  #waiters: { reached: () => boolean; resolve: () => void }[] = [];

  readonly push = (record: Handled): void => {
    this.records.push(record);
    this.#seen.add(idOf(record));
    this.#byMember.set(record.member, (this.#byMember.get(record.member) ?? 0) + 1);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.reached()) return true;
      w.resolve();
      return false;
    });
  };

  /** Distinct messages handled so far. */
  get distinct(): number {
    return this.#seen.size;
  }

  /** Handler calls of one member. */
  handledBy(member: string): number {
    return this.#byMember.get(member) ?? 0;
  }

  /** Resolves once `n` distinct messages were handled (rejects after `timeoutMs`). */
  waitDistinct(n: number, timeoutMs: number, what = `${n} distinct messages handled`): Promise<void> {
    return this.#wait(() => this.#seen.size >= n, timeoutMs, what);
  }

  /** Resolves once `member` handled `n` messages (rejects after `timeoutMs`). */
  waitMember(member: string, n: number, timeoutMs: number): Promise<void> {
    return this.#wait(() => this.handledBy(member) >= n, timeoutMs, `${n} messages handled by ${member}`);
  }

  #wait(reached: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (reached()) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#waiters.push({ reached, resolve }));
    return withTimeout(done, timeoutMs, `${what} (have ${this.#seen.size} distinct, ${this.records.length} calls)`);
  }
}

/** How {@link publishAll} paces itself. */
export interface PublishPlan {
  /** Messages per `publishBatch`. Default 60. */
  readonly chunk?: number;
  /** Most messages published ahead of the distinct ones handled. Default 240. */
  readonly window?: number;
  /** Longest wait for the consumers to catch up. Default 30 s. */
  readonly timeoutMs?: number;
  /** Called after each acknowledged chunk with the number of messages sent so far. */
  readonly afterChunk?: (sent: number) => Promise<void> | void;
}

/** What publishing took so far (updated as it goes, so a failed run still reports it). */
export interface PublishStats {
  /** Messages acknowledged by the cluster, in order from the first. */
  sent: number;
  /** Chunks (or parts of them) published again after a failed attempt. */
  retries: number;
}

/**
 * Publishes `messages` in order, chunk after chunk, never more than `window` ahead of what the
 * consumers handled (so faults triggered from the handled count land mid-stream for both
 * sides). Messages a `publishBatch` reports as failed are published again before the next chunk,
 * so per-key order holds (a failed send that was in fact written shows up as a duplicate).
 */
export async function publishAll(
  broker: KafkaBrokerBase,
  topic: string,
  messages: readonly Msg[],
  tracker: Tracker,
  plan: PublishPlan = {},
  stats: PublishStats = { sent: 0, retries: 0 },
): Promise<PublishStats> {
  const chunk = plan.chunk ?? 60;
  const window = plan.window ?? 240;
  const timeoutMs = plan.timeoutMs ?? 30_000;
  for (let i = 0; i < messages.length; i += chunk) {
    if (i - window > 0)
      await tracker.waitDistinct(i - window, timeoutMs, `consumers within ${window} of the publisher`);
    let pending = messages.slice(i, i + chunk);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const results = await broker.publishBatch(
        pending.map((m) => ({ body: m, key: m.key })),
        topic,
      );
      const failed = pending.filter((_, j) => !results[j]!.ok);
      if (failed.length > 0) {
        stats.retries++;
        const error = results.find((r) => !r.ok);
        if (attempt >= 5) {
          throw new Error(`publishing failed ${attempt} times: ${error && !error.ok ? error.error.message : ""}`);
        }
      }
      pending = failed;
    }
    stats.sent = Math.min(i + chunk, messages.length);
    await plan.afterChunk?.(stats.sent);
  }
  return stats;
}

/** What a fault case measured. */
export interface FaultOutcome {
  readonly sent: number;
  /** Handler calls. */
  readonly handled: number;
  /** Messages acknowledged by the cluster and never handled. */
  readonly lost: number;
  /** Handler calls beyond the first for their message (`redelivered + rewritten`). */
  readonly duplicated: number;
  /** Duplicates read again from the same offset (a consumer restart or rebalance replayed them). */
  readonly redelivered: number;
  /** Duplicates from another offset (the producer wrote the message twice). */
  readonly rewritten: number;
  /** Some lost messages, for the failure message. */
  readonly lostSample: readonly string[];
  /** Order violations among first occurrences (per key and per partition). */
  readonly orderErrors: readonly string[];
}

/**
 * Compares what was sent with what handlers saw. Order: for every key, first occurrences come
 * in seq order with none skipped (no message is handled before an earlier one of its key was),
 * and within a partition first occurrences come in offset order. Later occurrences are
 * duplicates, allowed by at-least-once after a replay.
 */
export function analyse(sent: readonly Msg[], records: readonly Handled[]): FaultOutcome {
  // A message never handled at all is counted as lost, not again as an order error of its key.
  const ever = new Set(records.map(idOf));
  const seen = new Set<string>();
  const offsets = new Set<string>();
  const nextSeq = new Map<string, number>();
  const lastOffset = new Map<number, number>();
  const orderErrors: string[] = [];
  let redelivered = 0;
  let rewritten = 0;
  for (const r of records) {
    const at = `${r.partition}@${r.offset}`;
    const sameOffset = offsets.has(at);
    offsets.add(at);
    const id = idOf(r);
    if (seen.has(id)) {
      if (sameOffset) redelivered++;
      else rewritten++;
      continue;
    }
    seen.add(id);
    let expected = nextSeq.get(r.key) ?? 0;
    while (expected < r.seq && !ever.has(idOf({ key: r.key, seq: expected }))) expected++;
    if (r.seq !== expected) orderErrors.push(`${r.key}: seq ${r.seq} handled before seq ${expected}`);
    nextSeq.set(r.key, Math.max(expected, r.seq + 1));
    const last = lastOffset.get(r.partition) ?? -1;
    if (r.offset <= last) orderErrors.push(`partition ${r.partition}: offset ${r.offset} first handled after ${last}`);
    lastOffset.set(r.partition, Math.max(last, r.offset));
  }
  const lost = sent.filter((m) => !seen.has(idOf(m)));
  return {
    sent: sent.length,
    handled: records.length,
    lost: lost.length,
    duplicated: redelivered + rewritten,
    redelivered,
    rewritten,
    lostSample: lost.slice(0, 10).map(idOf),
    orderErrors: orderErrors.slice(0, 10),
  };
}

/** The line a case prints: `FAULT <adapter> <case>: sent=N handled=N lost=N duplicated=N (...)`. */
export function faultLine(adapter: string, name: string, o: FaultOutcome, extra: Record<string, unknown>): string {
  const details = Object.entries({ redelivered: o.redelivered, rewritten: o.rewritten, ...extra })
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
  return `FAULT ${adapter} ${name}: sent=${o.sent} handled=${o.handled} lost=${o.lost} duplicated=${o.duplicated} (${details})`;
}

/** Resolves after `ms`: how long a fault lasts (never used to wait for an outcome). */
export function faultDuration(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Where duplicates came from, for diagnosis: per partition and member, the offset ranges read
 * again (`FAULT_DEBUG=1` prints it for every case).
 */
export function duplicateMap(records: readonly Handled[]): string[] {
  const seen = new Set<string>();
  const ranges = new Map<string, { from: number; to: number; n: number }>();
  for (const r of records) {
    const id = idOf(r);
    if (!seen.has(id)) {
      seen.add(id);
      continue;
    }
    const k = `p${r.partition} ${r.member}`;
    const range = ranges.get(k) ?? { from: r.offset, to: r.offset, n: 0 };
    range.from = Math.min(range.from, r.offset);
    range.to = Math.max(range.to, r.offset);
    range.n++;
    ranges.set(k, range);
  }
  return [...ranges].sort().map(([k, r]) => `${k}: ${r.n} again, offsets ${r.from}..${r.to}`);
}
