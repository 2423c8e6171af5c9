/**
 * When librdkafka's idempotent producer gets its producer id. librdkafka asks for the id after
 * `connect()`, on a 500 ms timer that fires again until a broker connection is up, and holds
 * every record until it has one: without waiting here, the first publishes after start sat
 * 0.5 to 1 s in its queue. librdkafka reports the id only in its `eos` debug log (state
 * `Assigned`), which the producer enables; those lines are few (a handful per connect).
 */
import type { Logger } from "@faststream/core";

/** librdkafka's log line, as `event.log` hands it over (`message` starts with `[thrd:<name>]: `). */
export interface LibrdkafkaLog {
  readonly severity: number;
  readonly fac: string;
  readonly message: string;
}

/** The idempotent producer's state change into "has a producer id". */
const ASSIGNED = /: Idempotent producer state change \S+ -> Assigned$/;

/** Watches an idempotent producer's `eos` log for its producer id. */
export class ProducerIdWatch {
  readonly #logger: Logger;
  #assigned = false;
  #waiters: (() => void)[] = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** True once librdkafka reported a producer id. */
  get assigned(): boolean {
    return this.#assigned;
  }

  /** Feeds one `event.log` line; lines are also passed to the logger at debug level. */
  onLog(log: LibrdkafkaLog): void {
    this.#logger.debug({ client: "confluent", fac: log.fac }, `confluent producer: ${log.message}`);
    if (log.fac === "IDEMPSTATE" && ASSIGNED.test(log.message)) this.settle(true);
  }

  /**
   * Resolves with true once the producer id is assigned, false after `timeoutMs` or when
   * {@link settle}d without one (the producer went away).
   */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.#assigned) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.#assigned);
      };
      this.#waiters.push(done);
    });
  }

  /** Ends every wait: `assigned` true when the id arrived, false when it never will (disconnect). */
  settle(assigned: boolean): void {
    if (assigned) this.#assigned = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const done of waiters) done();
  }
}
