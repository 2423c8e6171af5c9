/**
 * How far the native consumer's poll loop may read ahead of the handlers: it counts the
 * batches queued per partition, makes the loop wait when enough are queued, and pauses
 * ("throttles") a partition in librdkafka while its queue drains.
 */
import type { Held } from "./consumer-state.js";

/**
 * Batches per partition (on average over the flowing ones) queued before the poll loop waits.
 * One: librdkafka keeps pre-fetching into its own (native) queue meanwhile, and every record
 * queued here is a JS object that each garbage collection copies until it is handled (at two,
 * ~20k records sat here in the 3-partition pipeline benchmark; at one, ~10% more msgs/s).
 */
const AHEAD_PER_PARTITION = 1;
/**
 * Batches one partition may have queued before it is paused until they drained: its share of
 * {@link READ_AHEAD_BATCHES}, from {@link MIN_THROTTLE_AT} to {@link MAX_THROTTLE_AT}. With up
 * to 3 partitions the poll loop's own limit comes first, so a partition that merely drains is
 * not paused (a pause drops what librdkafka pre-fetched of it); with many, memory stays bounded
 * by 4 batches per partition.
 */
const READ_AHEAD_BATCHES = 24;
const MIN_THROTTLE_AT = 4;
const MAX_THROTTLE_AT = 8;
/**
 * How long the poll loop waits for room before it pauses the partition with the most batches
 * queued, so a stuck partition does not hold up the others. A pause drops what librdkafka
 * pre-fetched of the partition, so it is not paid while batches merely drain.
 */
const STALL_MS = 100;

/** What the read-ahead bound needs from its consumer. */
export interface ReadAheadHost {
  /** The partitions held now. */
  readonly held: ReadonlyMap<string, Held>;
  /** False once the consumer stops: nobody waits for room then. */
  isRunning(): boolean;
  /** Pauses fetching of a partition in the client. */
  pause(held: Held): void;
  /**
   * The last queued batch of a partition finished while it is neither paused by the shared
   * layer nor revoked: it flows again (`pausedHere`: it must be resumed in the client).
   */
  flow(held: Held, pausedHere: boolean): void;
}

/**
 * Bounds what is fetched ahead. The poll loop waits while the flowing partitions have more
 * than {@link AHEAD_PER_PARTITION} batches each queued on average. A partition is throttled
 * (paused in the client until its queue drained, no longer counted in that average) once it
 * falls its share of {@link READ_AHEAD_BATCHES} behind, or when it has the most queued and the
 * loop waited {@link STALL_MS} for room in vain: its handler may be stuck, and the others must
 * still be fetched.
 */
export class ReadAhead {
  readonly #host: ReadAheadHost;
  /** Batches queued or running of partitions not throttled. */
  #queued = 0;
  /** Wakes the poll loop when a batch finished. */
  #drained: (() => void) | undefined;

  constructor(host: ReadAheadHost) {
    this.#host = host;
  }

  /** A batch of `held` was queued. */
  added(held: Held): void {
    if (!held.throttled) this.#queued++;
    if (++held.queued >= this.#throttleAt() && !held.throttled) this.#throttle(held);
  }

  /** A batch of `held` finished (or was dropped). */
  removed(held: Held): void {
    held.queued--;
    if (!held.throttled) this.#queued--;
    if (held.queued === 0) {
      // Paused here (throttled) or resumed by the shared layer meanwhile: it flows again now.
      const pausedHere = held.throttled || held.resuming;
      held.throttled = false;
      held.resuming = false;
      if (!held.paused && !held.revoked && this.#host.isRunning()) this.#host.flow(held, pausedHere);
    }
    this.wake();
  }

  /** Wakes the poll loop if it waits for room (a batch finished, or the consumer stops). */
  wake(): void {
    const wake = this.#drained;
    this.#drained = undefined;
    wake?.();
  }

  /** Waits while the flowing partitions have enough queued (or until the consumer stops). */
  async room(): Promise<void> {
    const held = this.#host.held;
    while (this.#host.isRunning() && this.#queued > AHEAD_PER_PARTITION * Math.max(1, held.size)) {
      let timer: NodeJS.Timeout | undefined;
      const drained = await new Promise<boolean>((resolve) => {
        this.#drained = () => resolve(true);
        timer = setTimeout(() => resolve(false), STALL_MS);
      });
      clearTimeout(timer);
      if (drained) continue;
      this.#drained = undefined;
      let busiest: Held | undefined;
      for (const h of held.values()) {
        if (!h.throttled && h.queued > (busiest?.queued ?? 0)) busiest = h;
      }
      if (busiest) this.#throttle(busiest);
    }
  }

  #throttleAt(): number {
    const share = Math.ceil(READ_AHEAD_BATCHES / Math.max(1, this.#host.held.size));
    return Math.min(MAX_THROTTLE_AT, Math.max(MIN_THROTTLE_AT, share));
  }

  #throttle(held: Held): void {
    held.throttled = true;
    this.#queued -= held.queued;
    if (!held.paused) this.#host.pause(held);
  }
}
