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
import { PublishSettle } from "./settle.js";

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
  /** Records waiting, and (same index) who hears of each one's outcome. */
  #records: OutgoingRecord[] = [];
  #settles: Settle[] = [];
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
    const settle = new PublishSettle();
    this.enqueue(record, settle);
    return settle.promise;
  }

  /**
   * Queues one record whose outcome goes to `settle` (no promise: for callers that track many
   * records in flight themselves). `settle` is called once, never synchronously.
   */
  enqueue(record: OutgoingRecord, settle: Settle): void {
    this.#records.push(record);
    this.#settles.push(settle);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After the current turn's microtasks: everything published in this turn leaves together
      // (or, while the in-flight limit is reached, with the send that starts when one ends).
      setImmediate(() => {
        this.#scheduled = false;
        this.#pump();
      });
    }
  }

  /** Takes the next send's worth of records (and their settles) off the queue. */
  #take(): [OutgoingRecord[], Settle[]] {
    const { maxRecords, maxBytes } = this.#limits();
    const records = this.#records;
    const head = this.#head;
    const end = Math.min(records.length, head + maxRecords);
    let bytes = 0;
    let i = head;
    while (i < end) {
      const size = recordBytes(records[i]!);
      if (i > head && bytes + size > maxBytes) break;
      bytes += size;
      i++;
    }
    const taken: [OutgoingRecord[], Settle[]] = [records.slice(head, i), this.#settles.slice(head, i)];
    if (i === records.length) {
      this.#records = [];
      this.#settles = [];
      this.#head = 0;
    } else if (i >= 4096 && i * 2 >= records.length) {
      // Drop what was taken once it is most of the array (a queue that never drains stays bounded).
      this.#records = records.slice(i);
      this.#settles = this.#settles.slice(i);
      this.#head = 0;
    } else {
      this.#head = i;
    }
    return taken;
  }

  /** Starts sends while records wait and the in-flight limit allows; each send is started in queue order. */
  #pump(): void {
    // Not while a send is still out (the driver was swapped): handing over would overtake it.
    const produce = this.#inFlight === 0 ? this.#produce() : undefined;
    if (produce) this.#handOver(produce);
    const { maxInFlight } = this.#limits();
    while (this.#head < this.#records.length && this.#inFlight < maxInFlight) {
      const [records, settles] = this.#take();
      this.#inFlight++;
      let sent: Promise<RecordMetadata[]>;
      try {
        sent = this.#send(records);
      } catch (err) {
        sent = Promise.reject(err);
      }
      sent.then(
        (metas) => this.#done(records, settles, metas, undefined),
        (err: unknown) => this.#done(records, settles, undefined, err),
      );
    }
    if (this.#inFlight === 0 && this.#head === this.#records.length && !this.#scheduled) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /**
   * Hands every waiting record over, in order; each one settles on its own. Only the settles
   * stay referenced (by the driver) until delivery: the records are the client's now.
   */
  #handOver(produce: (record: OutgoingRecord, settle: Settle) => void): void {
    const records = this.#records;
    const settles = this.#settles;
    const head = this.#head;
    this.#records = [];
    this.#settles = [];
    this.#head = 0;
    for (let i = head; i < records.length; i++) {
      try {
        produce(records[i]!, settles[i]!);
      } catch (err) {
        settles[i]!.reject(err);
      }
    }
  }

  #done(records: OutgoingRecord[], settles: Settle[], metas: RecordMetadata[] | undefined, err: unknown): void {
    this.#inFlight--;
    if (metas) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        settles[i]!.resolve(metas[i] ?? { topic: r.topic, partition: r.partition ?? -1, offset: undefined });
      }
    } else {
      for (const s of settles) s.reject(err);
    }
    this.#pump();
  }

  /** Resolves once every record queued so far was sent (or failed). */
  idle(): Promise<void> {
    if (this.#head === this.#records.length && this.#inFlight === 0 && !this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }
}
