/**
 * Commit bookkeeping for one partition: the committed offset may only move past a message once
 * it and every earlier message taken were settled, so a failed or still-running message is
 * never skipped by committing a later one.
 *
 * Messages are usually settled in the order they were taken; that path is an index bump. Only
 * settlements ahead of the first open message (concurrent lanes, nacks) touch a set.
 */
export class PartitionOffsets {
  /** Offsets taken, ascending; entries before `#head` are settled. */
  #taken: number[] = [];
  #head = 0;
  /** Settled offsets after the first open one (out-of-order settlements). */
  readonly #ahead = new Set<number>();
  /** Highest offset taken + 1 (-1: nothing taken yet). */
  #next = -1;
  #lastCommitted = -1;

  /** Records that `offset` was taken for processing (offsets arrive ascending). */
  take(offset: number): void {
    this.#taken.push(offset);
    this.#next = offset + 1;
  }

  /** Marks `offset` processed. Unknown offsets (e.g. dropped by a rewind) are ignored. */
  settle(offset: number): void {
    const taken = this.#taken;
    if (this.#head < taken.length && taken[this.#head] === offset) {
      this.#head++;
      if (this.#ahead.size > 0) {
        while (this.#head < taken.length && this.#ahead.delete(taken[this.#head]!)) this.#head++;
      }
      if (this.#head > 4096) {
        this.#taken = taken.slice(this.#head);
        this.#head = 0;
      }
      return;
    }
    if (this.#indexOfOpen(offset) >= 0) this.#ahead.add(offset);
  }

  /** Index in `#taken` of a taken, unsettled offset; -1 if there is none. */
  #indexOfOpen(offset: number): number {
    const taken = this.#taken;
    let lo = this.#head;
    let hi = taken.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = taken[mid]!;
      if (v === offset) return this.#ahead.has(offset) ? -1 : mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Forgets every taken offset >= `offset`: they will be fetched again. */
  rewind(offset: number): void {
    const taken = this.#taken;
    while (taken.length > this.#head && taken[taken.length - 1]! >= offset) this.#ahead.delete(taken.pop()!);
    if (this.#next > offset) this.#next = offset;
  }

  /** Number of taken, unsettled messages. */
  get inFlight(): number {
    return this.#taken.length - this.#head - this.#ahead.size;
  }

  /** True if `offset` was taken and is not settled (nor dropped by a rewind). */
  isOpen(offset: number): boolean {
    return this.#indexOfOpen(offset) >= 0;
  }

  /** The lowest taken, unsettled offset. */
  firstOpen(): number | undefined {
    return this.#head < this.#taken.length ? this.#taken[this.#head] : undefined;
  }

  /** The offset to commit now (the next one to read), or `undefined` when nothing new is committable. */
  committable(): number | undefined {
    const first = this.position();
    return first !== undefined && first > this.#lastCommitted ? first : undefined;
  }

  /** The offset to commit for everything settled so far, committed before or not (`undefined`: nothing taken). */
  position(): number | undefined {
    if (this.#next < 0) return undefined;
    return this.#head < this.#taken.length ? this.#taken[this.#head]! : this.#next;
  }

  /** Records a successful commit of `offset`. */
  committed(offset: number): void {
    if (offset > this.#lastCommitted) this.#lastCommitted = offset;
  }
}
