import { Semaphore } from "./semaphore.js";

/**
 * Concurrency for `maxWorkers` > 1, the same on every driver: tasks queue in lanes (a partition,
 * or a partition and key) and each lane runs in order, while at most `maxWorkers` tasks run at
 * once across lanes. Fetching is held back per partition once its backlog exceeds a limit, so
 * memory stays bounded.
 */
export class LaneScheduler {
  readonly #semaphore: Semaphore;
  readonly #tails = new Map<string, { promise: Promise<void>; group: string }>();
  readonly #backlog = new Map<string, number>();
  readonly #waiters = new Map<string, (() => void)[]>();
  #closed = false;

  constructor(maxWorkers: number) {
    this.#semaphore = new Semaphore(maxWorkers);
  }

  /** Queues `task` on `lane` after the lane's earlier tasks; `group` (the partition) counts backlog. */
  enqueue(lane: string, group: string, task: () => Promise<void>): void {
    this.#backlog.set(group, (this.#backlog.get(group) ?? 0) + 1);
    const previous = this.#tails.get(lane)?.promise ?? Promise.resolve();
    const promise = previous.then(async () => {
      const wait = this.#semaphore.acquire();
      if (wait) await wait;
      try {
        await task();
      } finally {
        this.#semaphore.release();
        this.#finished(group);
      }
    });
    const tail = { promise, group };
    this.#tails.set(lane, tail);
    void promise.then(() => {
      if (this.#tails.get(lane) === tail) this.#tails.delete(lane);
    });
  }

  #finished(group: string): void {
    this.#backlog.set(group, (this.#backlog.get(group) ?? 1) - 1);
    const waiters = this.#waiters.get(group);
    if (waiters) {
      this.#waiters.delete(group);
      for (const w of waiters) w();
    }
  }

  /** Resolves once `group`'s queued and running tasks are at most `limit` (or on close). */
  async waitBelow(group: string, limit: number): Promise<void> {
    while (!this.#closed && (this.#backlog.get(group) ?? 0) > limit) {
      await new Promise<void>((resolve) => {
        const list = this.#waiters.get(group);
        if (list) list.push(resolve);
        else this.#waiters.set(group, [resolve]);
      });
    }
  }

  /** Resolves when every task queued so far (of `group`, or of all) finished. */
  async idle(group?: string): Promise<void> {
    const tails = [...this.#tails.values()].filter((t) => group === undefined || t.group === group);
    await Promise.all(tails.map((t) => t.promise));
  }

  /** Releases every waiter (stopping: the driver must get its batch callback back). */
  close(): void {
    this.#closed = true;
    for (const list of this.#waiters.values()) for (const w of list) w();
    this.#waiters.clear();
  }

  /** Accepts waits again after a restart. */
  reopen(): void {
    this.#closed = false;
  }
}
