/**
 * Coalesces single-record publishes into batched sends: records published in the same turn of
 * the event loop leave in one `send` (one produce request per partition leader instead of one
 * per record), in publish order. One send is in flight at a time, so records of a partition
 * are written in the order they were published even when a send is retried; what is published
 * meanwhile waits and leaves with the next send. Sends are capped in records and bytes.
 */
import type { OutgoingRecord, RecordMetadata } from "./driver.js";

interface Queued {
  readonly record: OutgoingRecord;
  resolve(meta: RecordMetadata): void;
  reject(err: unknown): void;
}

/** Limits of one coalesced send. */
export interface CoalescerLimits {
  /** Most records in one send. */
  readonly maxRecords: number;
  /** Most payload bytes (keys, values, headers) in one send; a bigger single record goes alone. */
  readonly maxBytes: number;
}

export const DEFAULT_COALESCER_LIMITS: CoalescerLimits = { maxRecords: 5_000, maxBytes: 768 * 1024 };

function recordBytes(r: OutgoingRecord): number {
  let n = (r.value?.length ?? 0) + (r.key?.length ?? 0);
  if (r.headers) for (const [k, v] of Object.entries(r.headers)) n += k.length + (v?.length ?? 0);
  return n;
}

export class SendCoalescer {
  readonly #send: (records: OutgoingRecord[]) => Promise<RecordMetadata[]>;
  readonly #limits: () => CoalescerLimits;
  #queue: Queued[] = [];
  #scheduled = false;
  #inFlight = false;
  #drained: (() => void)[] = [];

  /** `limits` is read per send (the driver may be swapped, e.g. by a test broker). */
  constructor(
    send: (records: OutgoingRecord[]) => Promise<RecordMetadata[]>,
    limits: () => CoalescerLimits = () => DEFAULT_COALESCER_LIMITS,
  ) {
    this.#send = send;
    this.#limits = limits;
  }

  /** Queues one record; resolves with its metadata once the broker acknowledged it. */
  send(record: OutgoingRecord): Promise<RecordMetadata> {
    return new Promise<RecordMetadata>((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      if (!this.#scheduled && !this.#inFlight) {
        this.#scheduled = true;
        // After the current turn's microtasks: everything published in this turn leaves together.
        setImmediate(() => this.#flush());
      }
    });
  }

  #take(): Queued[] {
    const { maxRecords, maxBytes } = this.#limits();
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && n < maxRecords) {
      const size = recordBytes(this.#queue[n]!.record);
      if (n > 0 && bytes + size > maxBytes) break;
      bytes += size;
      n++;
    }
    const batch = this.#queue.slice(0, n);
    this.#queue = this.#queue.slice(n);
    return batch;
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    this.#inFlight = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#take();
        try {
          const metas = await this.#send(batch.map((q) => q.record));
          batch.forEach((q, i) => {
            q.resolve(metas[i] ?? { topic: q.record.topic, partition: q.record.partition ?? -1, offset: undefined });
          });
        } catch (err) {
          for (const q of batch) q.reject(err);
        }
      }
    } finally {
      this.#inFlight = false;
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /** Resolves once every record queued so far was sent (or failed). */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && !this.#inFlight && !this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }
}
