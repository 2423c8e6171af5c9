import type { KafkaMessage } from "./message.js";

type AnyMessage = KafkaMessage<unknown, unknown, unknown>;

/**
 * Hand-over between a subscriber without handlers and code that pulls its messages. The
 * consumer waits until each message is taken (so fetching pauses while nobody pulls), and a
 * taken message still unsettled when the next one is taken is acknowledged then.
 */
export class PullQueue {
  #offered: { message: AnyMessage; taken: () => void } | undefined;
  #takers: ((message: AnyMessage | undefined) => void)[] = [];
  #offerWaiters: (() => void)[] = [];
  #current: AnyMessage | undefined;
  #closed = false;

  /** Offers a message; resolves true once taken, false if the queue closed first. */
  put(message: AnyMessage): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    const taker = this.#takers.shift();
    if (taker) {
      this.#handOut(message);
      taker(message);
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      this.#offered = { message, taken: () => resolve(true) };
      for (const w of this.#offerWaiters.splice(0)) w();
      this.#offerWaiters.push(() => resolve(false));
    });
  }

  #handOut(message: AnyMessage): void {
    if (this.#current && this.#current.settlement === undefined) this.#current.ack();
    this.#current = message;
  }

  /** Takes the next message, or `undefined` after `timeoutMs` or once closed. */
  take(timeoutMs: number): Promise<AnyMessage | undefined> {
    // The previous message counts as processed once the next one is asked for.
    if (this.#current && this.#current.settlement === undefined) this.#current.ack();
    const offered = this.#offered;
    if (offered) {
      this.#offered = undefined;
      this.#offerWaiters = [];
      this.#handOut(offered.message);
      offered.taken();
      return Promise.resolve(offered.message);
    }
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.#takers.indexOf(done);
        if (i !== -1) this.#takers.splice(i, 1);
        resolve(undefined);
      }, timeoutMs);
      const done = (message: AnyMessage | undefined): void => {
        clearTimeout(timer);
        resolve(message);
      };
      this.#takers.push(done);
    });
  }

  /** Acknowledges the last taken message if still unsettled (the puller is done with it). */
  release(): void {
    if (this.#current && this.#current.settlement === undefined) this.#current.ack();
    this.#current = undefined;
  }

  /** Wakes everyone: pending takes get `undefined`, a pending offer is withdrawn. */
  close(): void {
    this.#closed = true;
    for (const t of this.#takers.splice(0)) t(undefined);
    this.#offered = undefined;
    for (const w of this.#offerWaiters.splice(0)) w();
  }

  /** True once closed (the subscriber stopped). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Reopens after a close (the subscriber started again). */
  reopen(): void {
    this.#closed = false;
  }
}
