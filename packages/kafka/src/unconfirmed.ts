/**
 * Publishes whose callers do not wait for the broker's acknowledgement (`noConfirm: true`): one
 * shared {@link Settle} counts them instead of a promise per record, bounds how many are
 * unacknowledged at once, reports failures to the logger, and lets `flush()` wait for all of
 * them and hear of failures.
 */
import { type Logger, PublishError } from "@faststream/core";
import type { RecordMetadata, Settle } from "./driver.js";

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolved at once: what an unconfirmed publish returns while there is room. */
const ROOM: Promise<undefined> = Promise.resolve(undefined);

/** A waiter list settled all at once (room, flush). */
interface Gate {
  promise: Promise<undefined>;
  open: () => void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<undefined>((resolve) => {
    open = () => resolve(undefined);
  });
  return { promise, open };
}

/** @internal the broker's unconfirmed publishes. */
export class UnconfirmedPublishes implements Settle {
  readonly #limit: number;
  readonly #logger: Logger;
  #pending = 0;
  #failed = 0;
  #firstError: unknown;
  #room: Gate | undefined;
  #drained: Gate | undefined;

  /** At most `limit` unacknowledged before `accept()` asks callers to wait. */
  constructor(limit: number, logger: Logger) {
    this.#limit = limit;
    this.#logger = logger;
  }

  /**
   * Counts one more record in flight; the returned promise resolves once there is room for the
   * next (at once below the limit, otherwise when a quarter of the limit was acknowledged).
   */
  accept(): Promise<undefined> {
    if (++this.#pending < this.#limit) return ROOM;
    this.#room ??= gate();
    return this.#room.promise;
  }

  /** Only the outcome counts. */
  readonly ignoresMetadata = true;

  resolve(_meta: RecordMetadata): void {
    this.#settled();
  }

  reject(err: unknown): void {
    if (this.#failed++ === 0) this.#firstError = err;
    const topic = err instanceof PublishError ? err.topic : undefined;
    this.#logger.error({ topic, err }, `an unconfirmed publish failed: ${messageOf(err)}`);
    this.#settled();
  }

  #settled(): void {
    const pending = --this.#pending;
    if (this.#room && pending <= (this.#limit * 3) >> 2) {
      this.#room.open();
      this.#room = undefined;
    }
    if (pending === 0 && this.#drained) {
      this.#drained.open();
      this.#drained = undefined;
    }
  }

  /**
   * Resolves once no unconfirmed publish is in flight; rejects with a {@link PublishError} if
   * any failed since the previous flush (they were logged as they failed).
   */
  async flush(): Promise<void> {
    if (this.#pending > 0) {
      this.#drained ??= gate();
      await this.#drained.promise;
    }
    if (this.#failed === 0) return;
    const failed = this.#failed;
    const first = this.#firstError;
    this.#failed = 0;
    this.#firstError = undefined;
    // The first failure's own reason (a PublishError's message already names the topic).
    const reason =
      first instanceof PublishError && first.cause !== undefined ? messageOf(first.cause) : messageOf(first);
    throw new PublishError(
      first instanceof PublishError ? first.topic : "(unknown)",
      `${failed} unconfirmed publish${failed === 1 ? "" : "es"} failed since the last flush; the first: ${reason}`,
      { cause: first },
    );
  }
}
