/**
 * Broker acknowledgement of explicit commits on the confluent client.
 *
 * The client's `commitOffsets()` resolves once librdkafka has queued the commit (it calls
 * `commitAsync`), before the group coordinator answers, so a refused commit would count as
 * done. librdkafka reports every commit's outcome through its offset-commit callback, which
 * the client's internal consumer emits as `offset.commit` with the committed offsets. This
 * module pairs those reports with the commits that asked for them, so a commit resolves only
 * once the broker stored it and rejects when it did not (the subscriber then retries it).
 */

/** One committed offset as librdkafka reports it (offsets are numbers there). */
interface ReportedOffset {
  topic: string;
  partition: number;
  offset?: number;
}

/** The part of the client's internal consumer used here. */
export interface CommitReportSource {
  on(
    event: "offset.commit",
    cb: (err: (Error & { code?: number }) | null | undefined, offsets: ReportedOffset[]) => void,
  ): void;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** A commit the broker did not store (or did not answer in time). */
export class CommitNotAcknowledgedError extends Error {
  override readonly name = "CommitNotAcknowledgedError";
  /** librdkafka's error code, when the broker answered with one. */
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

/** Order-independent identity of a commit request: its topic/partition/offset triples. */
function commitKey(offsets: readonly { topic: string; partition: number; offset?: string | number }[]): string {
  return offsets
    .map(({ topic, partition, offset }) => `${topic}\u0000${partition}\u0000${offset ?? ""}`)
    .sort()
    .join("\u0001");
}

/** Pairs librdkafka's commit reports with pending commits. */
export class CommitAcks {
  readonly #pending = new Map<string, Waiter[]>();
  readonly #timeoutMs: number;

  /** @param timeoutMs how long a commit may wait for its report before it counts as failed. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Starts listening to a client's commit reports (once per connection). */
  attach(source: CommitReportSource): void {
    source.on("offset.commit", (err, offsets) => this.#report(err, offsets));
  }

  /**
   * Registers a commit before it is sent; the returned promise settles with the broker's
   * answer. Call {@link cancel} with the same offsets if sending it fails.
   */
  expect(offsets: readonly { topic: string; partition: number; offset: string }[]): Promise<void> {
    const key = commitKey(offsets);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#remove(key, waiter);
          reject(new CommitNotAcknowledgedError(`no answer to the offset commit within ${this.#timeoutMs} ms`));
        }, this.#timeoutMs),
      };
      const list = this.#pending.get(key);
      if (list) list.push(waiter);
      else this.#pending.set(key, [waiter]);
    });
  }

  /** Drops the oldest waiter for these offsets (the commit was never sent). */
  cancel(offsets: readonly { topic: string; partition: number; offset: string }[], err: Error): void {
    const key = commitKey(offsets);
    const waiter = this.#pending.get(key)?.[0];
    if (!waiter) return;
    this.#remove(key, waiter);
    waiter.reject(err);
  }

  /** Fails every commit still waiting (the client disconnected; no report will come). */
  failAll(reason: string): void {
    const waiters = [...this.#pending.values()].flat();
    this.#pending.clear();
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(new CommitNotAcknowledgedError(reason));
    }
  }

  #report(err: (Error & { code?: number }) | null | undefined, offsets: ReportedOffset[]): void {
    const key = commitKey(offsets);
    const waiter = this.#pending.get(key)?.[0];
    // Reports of commits nobody waits for (none are made with auto-commit off) are ignored.
    if (!waiter) return;
    this.#remove(key, waiter);
    if (err) waiter.reject(new CommitNotAcknowledgedError(`offset commit refused: ${err.message}`, err.code));
    else waiter.resolve();
  }

  #remove(key: string, waiter: Waiter): void {
    clearTimeout(waiter.timer);
    const list = this.#pending.get(key);
    if (!list) return;
    const i = list.indexOf(waiter);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#pending.delete(key);
  }
}
