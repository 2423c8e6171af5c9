/**
 * The raw KafkaJS-shaped contenders' offset committer: `mark` records the last processed offset
 * of a partition, at most one commit call is outstanding, and offsets marked meanwhile are
 * coalesced into the next one.
 */
export type TopicOffset = { topic: string; partition: number; offset: string };

export class Committer {
  readonly #commit: (offsets: TopicOffset[]) => Promise<unknown>;
  readonly #fail: (err: unknown) => void;
  readonly #pending = new Map<string, TopicOffset>();
  #running: Promise<void> | undefined;

  /** `commit` is the client's `commitOffsets`; `fail` ends the run on a commit error. */
  constructor(consumer: { commitOffsets(offsets: TopicOffset[]): Promise<unknown> }, fail: (err: unknown) => void) {
    this.#commit = (offsets) => consumer.commitOffsets(offsets);
    this.#fail = fail;
  }

  mark(topic: string, partition: number, lastOffset: string): void {
    this.#pending.set(`${topic}\u0000${partition}`, {
      topic,
      partition,
      offset: (BigInt(lastOffset) + 1n).toString(),
    });
    this.#running ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.size > 0) {
        const offsets = [...this.#pending.values()];
        this.#pending.clear();
        await this.#commit(offsets);
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#running = undefined;
    }
  }

  /** Waits until everything marked so far is committed. */
  async flush(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }
}
