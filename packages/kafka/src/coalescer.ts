/**
 * Coalesces single-record publishes into batched sends: records published in the same turn of
 * the event loop leave in one `send` (one produce request per partition leader instead of one
 * per record), in publish order. By default one send is in flight at a time, so records of a
 * partition are written in the order they were published even when a send is retried; what is
 * published meanwhile waits and leaves with the next send. A client that keeps the order of
 * records handed over in order by itself (librdkafka queues them per partition) may take
 * several sends at once. Sends are capped in records and bytes. A client that batches on the
 * wire by itself gets the records one by one instead (`produce`), each settling on its own.
 */
import type { OutgoingRecord, RecordMetadata, Settle } from "./driver.js";

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
  /** Most sends in flight at once (1 unless the client keeps the order of overlapping sends). */
  readonly maxInFlight: number;
}

export const DEFAULT_COALESCER_LIMITS: CoalescerLimits = { maxRecords: 5_000, maxBytes: 768 * 1024, maxInFlight: 1 };

/** Payload bytes of a record: key, value, header names and values. */
export function recordBytes(r: OutgoingRecord): number {
  let n = (r.value?.length ?? 0) + (r.key?.length ?? 0);
  const headers = r.headers;
  if (headers) for (const k in headers) n += k.length + (headers[k]?.length ?? 0);
  return n;
}

export class SendCoalescer {
  readonly #send: (records: OutgoingRecord[]) => Promise<RecordMetadata[]>;
  readonly #limits: () => CoalescerLimits;
  readonly #produce: () => ((record: OutgoingRecord, settle: Settle) => void) | undefined;
  #queue: Queued[] = [];
  /** Index of the first queued record not yet taken. */
  #head = 0;
  #scheduled = false;
  #inFlight = 0;
  #drained: (() => void)[] = [];

  /**
   * `limits` and `produce` are read per turn (the driver may be swapped, e.g. by a test broker);
   * when `produce` gives a function, records are handed to it one by one instead of `send`.
   */
  constructor(
    send: (records: OutgoingRecord[]) => Promise<RecordMetadata[]>,
    limits: () => CoalescerLimits = () => DEFAULT_COALESCER_LIMITS,
    produce: () => ((record: OutgoingRecord, settle: Settle) => void) | undefined = () => undefined,
  ) {
    this.#send = send;
    this.#limits = limits;
    this.#produce = produce;
  }

  /** Queues one record; resolves with its metadata once the broker acknowledged it. */
  send(record: OutgoingRecord): Promise<RecordMetadata> {
    return new Promise<RecordMetadata>((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the current turn's microtasks: everything published in this turn leaves together
        // (or, while the in-flight limit is reached, with the send that starts when one ends).
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  #take(): Queued[] {
    const { maxRecords, maxBytes } = this.#limits();
    const queue = this.#queue;
    const head = this.#head;
    const end = Math.min(queue.length, head + maxRecords);
    let bytes = 0;
    let i = head;
    while (i < end) {
      const size = recordBytes(queue[i]!.record);
      if (i > head && bytes + size > maxBytes) break;
      bytes += size;
      i++;
    }
    const batch = queue.slice(head, i);
    if (i === queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (i >= 4096 && i * 2 >= queue.length) {
      // Drop what was taken once it is most of the array (a queue that never drains stays bounded).
      this.#queue = queue.slice(i);
      this.#head = 0;
    } else {
      this.#head = i;
    }
    return batch;
  }

  /** Starts sends while records wait and the in-flight limit allows; each send is started in queue order. */
  #pump(): void {
    // Not while a send is still out (the driver was swapped): handing over would overtake it.
    const produce = this.#inFlight === 0 ? this.#produce() : undefined;
    if (produce) this.#handOver(produce);
    const { maxInFlight } = this.#limits();
    while (this.#head < this.#queue.length && this.#inFlight < maxInFlight) {
      const batch = this.#take();
      this.#inFlight++;
      let sent: Promise<RecordMetadata[]>;
      try {
        sent = this.#send(batch.map((q) => q.record));
      } catch (err) {
        sent = Promise.reject(err);
      }
      sent.then(
        (metas) => this.#done(batch, metas, undefined),
        (err: unknown) => this.#done(batch, undefined, err),
      );
    }
    if (this.#inFlight === 0 && this.#head === this.#queue.length && !this.#scheduled) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /** Hands every waiting record over, in order; each one settles on its own. */
  #handOver(produce: (record: OutgoingRecord, settle: Settle) => void): void {
    const queue = this.#queue;
    const head = this.#head;
    this.#queue = [];
    this.#head = 0;
    for (let i = head; i < queue.length; i++) {
      const q = queue[i]!;
      try {
        produce(q.record, q);
      } catch (err) {
        q.reject(err);
      }
    }
  }

  #done(batch: Queued[], metas: RecordMetadata[] | undefined, err: unknown): void {
    this.#inFlight--;
    if (metas) {
      for (let i = 0; i < batch.length; i++) {
        const q = batch[i]!;
        q.resolve(metas[i] ?? { topic: q.record.topic, partition: q.record.partition ?? -1, offset: undefined });
      }
    } else {
      for (const q of batch) q.reject(err);
    }
    this.#pump();
  }

  /** Resolves once every record queued so far was sent (or failed). */
  idle(): Promise<void> {
    if (this.#head === this.#queue.length && this.#inFlight === 0 && !this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }
}
