/**
 * Promises for record outcomes, made with as few objects as possible: these live until the
 * broker acknowledged, so every object they hold is copied by each garbage collection that
 * happens meanwhile.
 */
import type { RecordMetadata, Settle } from "./driver.js";

/** What a driver may pass to a {@link Settle} whose `ignoresMetadata` is true. */
export const NO_METADATA: RecordMetadata = Object.freeze({ topic: "", partition: -1, offset: undefined });

/** The resolving functions of the promise being constructed (see {@link PublishSettle}). */
let madeResolve: ((meta: RecordMetadata) => void) | undefined;
let madeReject: ((err: unknown) => void) | undefined;

/** A promise executor that hands its resolving functions over without a closure per promise. */
function capture(resolve: (meta: RecordMetadata) => void, reject: (err: unknown) => void): void {
  madeResolve = resolve;
  madeReject = reject;
}

/**
 * The outcome of one record as a promise: hand the object to a driver as the record's
 * {@link Settle}, return `promise` to the caller. One object besides the promise and its
 * resolving functions (no executor closure). @internal
 */
export class PublishSettle implements Settle {
  readonly promise: Promise<RecordMetadata>;
  readonly resolve: (meta: RecordMetadata) => void;
  readonly reject: (err: unknown) => void;

  constructor() {
    this.promise = new Promise(capture);
    this.resolve = madeResolve!;
    this.reject = madeReject!;
    madeResolve = madeReject = undefined;
  }
}

/**
 * The outcomes of a batch of records as one promise: it resolves with every record's metadata
 * (in record order) once all were acknowledged, and rejects with the first failure, like
 * `Promise.all` over one promise per record, without those promises. @internal
 */
export class BatchSettle {
  readonly promise: Promise<RecordMetadata[]>;
  readonly #metas: RecordMetadata[];
  readonly #resolve: (metas: RecordMetadata[]) => void;
  readonly #reject: (err: unknown) => void;
  #left: number;
  #failed = false;

  constructor(records: number) {
    let resolve!: (metas: RecordMetadata[]) => void;
    let reject!: (err: unknown) => void;
    this.promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#resolve = resolve;
    this.#reject = reject;
    this.#metas = new Array<RecordMetadata>(records);
    this.#left = records;
    if (records === 0) resolve(this.#metas);
  }

  /** The settle of the record at `index`. */
  record(index: number): Settle {
    return new BatchRecord(this, index);
  }

  /** @internal */
  done(index: number, meta: RecordMetadata): void {
    this.#metas[index] = meta;
    if (--this.#left === 0 && !this.#failed) this.#resolve(this.#metas);
  }

  /** @internal */
  fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#reject(err);
  }
}

/** One record of a {@link BatchSettle}. */
class BatchRecord implements Settle {
  readonly #batch: BatchSettle;
  readonly #index: number;

  constructor(batch: BatchSettle, index: number) {
    this.#batch = batch;
    this.#index = index;
  }

  resolve(meta: RecordMetadata): void {
    this.#batch.done(this.#index, meta);
  }

  reject(err: unknown): void {
    this.#batch.fail(err);
  }
}
