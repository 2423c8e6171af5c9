/**
 * Commit bookkeeping for one partition: the committed offset may only move past a message once
 * it and every earlier message taken were settled, so a failed or still-running message is
 * never skipped by committing a later one.
 */
export class PartitionOffsets {
  /** Offsets taken, ascending; entries before `#head` are settled. */
  #taken: number[] = [];
  #head = 0;
  /** Taken and not yet settled. */
  readonly #open = new Set<number>();
  /** Highest offset taken + 1 (-1: nothing taken yet). */
  #next = -1;
  #lastCommitted = -1;

  /** Records that `offset` was taken for processing (offsets arrive ascending). */
  take(offset: number): void {
    this.#taken.push(offset);
    this.#open.add(offset);
    this.#next = offset + 1;
  }

  /** Marks `offset` processed. Unknown offsets (e.g. dropped by a rewind) are ignored. */
  settle(offset: number): void {
    if (!this.#open.delete(offset)) return;
    const taken = this.#taken;
    while (this.#head < taken.length && !this.#open.has(taken[this.#head]!)) this.#head++;
    if (this.#head > 4096) {
      this.#taken = taken.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Forgets every taken offset >= `offset`: they will be fetched again. */
  rewind(offset: number): void {
    const taken = this.#taken;
    while (taken.length > this.#head && taken[taken.length - 1]! >= offset) this.#open.delete(taken.pop()!);
    if (this.#next > offset) this.#next = offset;
  }

  /** Number of taken, unsettled messages. */
  get inFlight(): number {
    return this.#open.size;
  }

  /** True if `offset` was taken and is not settled (nor dropped by a rewind). */
  isOpen(offset: number): boolean {
    return this.#open.has(offset);
  }

  /** The lowest taken, unsettled offset. */
  firstOpen(): number | undefined {
    return this.#head < this.#taken.length ? this.#taken[this.#head] : undefined;
  }

  /** The offset to commit now (the next one to read), or `undefined` when nothing new is committable. */
  committable(): number | undefined {
    if (this.#next < 0) return undefined;
    const first = this.#head < this.#taken.length ? this.#taken[this.#head]! : this.#next;
    return first > this.#lastCommitted ? first : undefined;
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
