/**
 * Offset commits of one subscriber: what is committable per partition, background commits that
 * follow settlements, and the final, acknowledged commit on stop.
 */
import type { Logger } from "@faststream/core";
import type { CommitOptions, DriverConsumer } from "./driver.js";
import type { MessageOrigin } from "./message.js";
import type { PartitionOffsets } from "./offsets.js";

/** A partition a subscriber holds. @internal */
export interface PartitionState {
  readonly offsets: PartitionOffsets;
  readonly origin: MessageOrigin;
  /** Bumped by a nack: records of older rounds stop processing. */
  round: number;
  /** Set when the partition is revoked or lost: queued records are not processed. */
  gone: boolean;
  /** Set once the state left the subscriber (revoked, lost, stopped): settlements are ignored. */
  detached: boolean;
}

/** The map key of a topic partition. @internal */
export const partitionStateKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Least time between the starts of two background commits. Settlements made meanwhile go in
 * the next commit; a crash can redeliver at most this much more work. Final commits (stop,
 * revoke) are not delayed.
 */
const COMMIT_SPACING_MS = 20;

/** The final commit on stop waits for the broker's answer. */
const ACKNOWLEDGED: CommitOptions = { acknowledged: true };

/** What the committer reads from its subscriber. @internal */
export interface CommitSource {
  readonly groupId: string;
  readonly logger: Logger;
  /** The running consumer (`undefined`: stopped, nothing to commit). */
  consumer(): DriverConsumer | undefined;
  /** Partitions held now, by {@link partitionStateKey}. */
  readonly partitions: ReadonlyMap<string, PartitionState>;
}

/** Commits a subscriber's offsets. @internal */
export class Committer {
  readonly #source: CommitSource;
  /** A background commit is scheduled or running. */
  #running: Promise<void> | undefined;
  /** Settlements arrived while a background commit ran: commit again after it. */
  #again = false;
  /** When the last background commit started (`performance.now()`). */
  #lastStart = Number.NEGATIVE_INFINITY;

  constructor(source: CommitSource) {
    this.#source = source;
  }

  /** Forgets a background commit left hanging by a previous run. */
  reset(): void {
    this.#running = undefined;
    this.#again = false;
  }

  /**
   * Commits what is committable; false if the commit failed. `final` (on stop) commits every
   * partition's position even if it was committed before, and waits for the broker's answer
   * (clients may report an earlier commit as done once queued, before a refusal).
   */
  async commit(states: Iterable<PartitionState>, final = false): Promise<boolean> {
    const consumer = this.#source.consumer();
    if (!consumer) return true;
    const offsets = [];
    for (const s of states) {
      const o = final ? s.offsets.position() : s.offsets.committable();
      if (o !== undefined) offsets.push({ topic: s.origin.topic, partition: s.origin.partition, offset: String(o) });
    }
    if (offsets.length === 0) return true;
    try {
      await consumer.commit(offsets, final ? ACKNOWLEDGED : undefined);
      const held = this.#source.partitions;
      for (const o of offsets) held.get(partitionStateKey(o.topic, o.partition))?.offsets.committed(Number(o.offset));
      return true;
    } catch (err) {
      this.#source.logger.warn(
        { group: this.#source.groupId, err, offsets },
        "offset commit failed; messages may be redelivered",
      );
      return false;
    }
  }

  /**
   * Commits what became committable, in the background: one commit in flight, settlements
   * that arrive meanwhile go in the next one (after the current event-loop turn, so a burst of
   * settlements makes one commit), and commits start at least {@link COMMIT_SPACING_MS} apart.
   */
  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#spaced().then(async () => {
      do {
        this.#again = false;
        this.#lastStart = performance.now();
        await this.commit(this.#source.partitions.values());
        if (this.#again) await this.#spaced();
      } while (this.#again && this.#source.consumer() !== undefined);
      this.#running = undefined;
    });
  }

  /**
   * Resolves after the current turn, and no sooner than {@link COMMIT_SPACING_MS} after the
   * last commit started. Clients that queue a commit and return (librdkafka) would otherwise
   * commit about once per event-loop turn.
   */
  #spaced(): Promise<void> {
    const wait = this.#lastStart + COMMIT_SPACING_MS - performance.now();
    return new Promise((resolve) => {
      if (wait > 0) setTimeout(resolve, wait);
      else setImmediate(resolve);
    });
  }

  /**
   * The final commit on stop, retried: a commit that failed earlier must not make a graceful
   * restart read the handled tail again. A background commit in flight is not waited for: it
   * was sent first, so the final one (later, to the same coordinator) is the last word.
   */
  async final(): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (await this.commit(this.#source.partitions.values(), true)) return;
      await new Promise<void>((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
