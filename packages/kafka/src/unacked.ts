/**
 * Counts messages whose handler results are still being published, so a subscriber can run
 * ahead of the acknowledgements by a bounded amount and wait for all of them on stop.
 * @internal
 */
export class UnackedResults {
  #count = 0;
  readonly #waiters: { limit: number; resolve: () => void }[] = [];

  /** Messages waiting for their results to be acknowledged. */
  get count(): number {
    return this.#count;
  }

  /** Tracks `count` more messages (default 1) whose result is being published. */
  begin(count = 1): void {
    this.#count += count;
  }

  /** Their publish ended and they were settled: `count` messages (default 1) fewer. */
  end(count = 1): void {
    this.#count -= count;
    const waiters = this.#waiters;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (this.#count <= waiters[i]!.limit) waiters.splice(i, 1)[0]!.resolve();
    }
  }

  /** Resolves once at most `limit` messages are waiting (`undefined` when that holds now). */
  below(limit: number): Promise<void> | undefined {
    if (this.#count <= limit) return undefined;
    return new Promise((resolve) => this.#waiters.push({ limit, resolve }));
  }
}
