/**
 * The fast path of message processing, for subscribers where nothing but the handler and its
 * publishes can suspend (see {@link PipelineConfig.fast}). Same steps and outcomes as the
 * general pipeline, written so a message costs no promise of its own: it continues
 * synchronously after each step that did not return one.
 */
import type { AckPolicy } from "@faststream/core";
import {
  type After,
  type AnyMessage,
  type Deferred,
  conclude,
  decodeRaw,
  endAfter,
  type Finisher,
  isThenable,
  noHandler,
  type PipelineConfig,
  type PreparedHandler,
  pickHandler,
  publishError,
  publishResult,
  resultRecords,
  validated,
} from "./pipeline-steps.js";
import type { OutgoingRecord, Settle } from "./driver.js";

const NO_MIDDLEWARES: readonly never[] = [];

/**
 * Processes one message on the fast path; returns a promise only when a step did. Never throws
 * (or rejects): every failure is reported and settled per policy.
 */
export function processFast(
  config: PipelineConfig,
  message: AnyMessage,
  policy: AckPolicy,
  deferred: Deferred | undefined,
  suspension?: Suspension,
): After | Promise<After> | Suspension {
  let body: unknown;
  try {
    body = validated(config, message, decodeRaw(config, message));
  } catch (err) {
    return conclude(config, message, policy, err, 1);
  }
  if (body instanceof Promise) {
    return body.then(
      // Without a suspension, handle never returns one.
      (value: unknown) => handle(config, message, value, policy, deferred) as After | Promise<After>,
      (err: unknown) => conclude(config, message, policy, err, 1),
    );
  }
  return handle(config, message, body, policy, deferred, suspension);
}

function handle(
  config: PipelineConfig,
  message: AnyMessage,
  body: unknown,
  basePolicy: AckPolicy,
  deferred: Deferred | undefined,
  suspension?: Suspension,
): After | Promise<After> | Suspension {
  message.body = body;
  let handler: PreparedHandler | undefined;
  let result: unknown;
  try {
    handler = pickHandler(config, message);
    if (!handler) return conclude(config, message, basePolicy, noHandler(config, message), 1);
    result = handler.call(body, message);
  } catch (err) {
    return conclude(config, message, handler?.ackPolicy ?? basePolicy, err, 1);
  }
  const chosen = handler;
  if (suspension && result instanceof Promise) return suspension.hold(config, chosen, message, result, deferred);
  if (isThenable(result)) {
    // A native promise is chained as is; other thenables are adopted first.
    return (result instanceof Promise ? result : Promise.resolve(result)).then(
      (value) => publish(config, chosen, message, value, deferred),
      (err: unknown) => conclude(config, message, chosen.ackPolicy, err, 1),
    );
  }
  return publish(config, chosen, message, result, deferred);
}

/** Publishes the result (if any), then settles; with `deferred`, the settling is pushed there. */
function publish(
  config: PipelineConfig,
  handler: PreparedHandler,
  message: AnyMessage,
  result: unknown,
  deferred: Deferred | undefined,
): After | Promise<After> {
  const policy = handler.ackPolicy;
  if (result === undefined || result === null) return conclude(config, message, policy, undefined, 1);
  if (deferred) {
    let records: OutgoingRecord[];
    try {
      records = resultRecords(config, handler, message, result);
    } catch (err) {
      return conclude(config, message, policy, err, 1);
    }
    if (records.length === 0) return conclude(config, message, policy, undefined, 1);
    const pending = new PendingResult(config, message, policy, deferred, records.length);
    deferred.begin();
    for (const record of records) config.deliver(record, pending);
    return "continue";
  }
  let publishing: Promise<unknown>;
  try {
    publishing = publishResult(config, handler, message, result, NO_MIDDLEWARES);
  } catch (err) {
    return conclude(config, message, policy, err, 1);
  }
  return publishing.then(
    () => conclude(config, message, policy, undefined, 1),
    (err: unknown) => conclude(config, message, policy, publishError(err), 1),
  );
}

/**
 * A message whose result records are being published: hears each record's outcome and, once
 * all are known, settles the message (failed if any record failed) and tells `deferred`. One
 * object per message in flight instead of a promise chain: these live until the broker
 * acknowledged, so what they hold is what the garbage collector copies while they wait.
 */
class PendingResult implements Settle, Finisher {
  readonly #config: PipelineConfig;
  readonly #message: AnyMessage;
  readonly #policy: AckPolicy;
  readonly #deferred: Deferred;
  #left: number;
  #error: unknown;

  constructor(config: PipelineConfig, message: AnyMessage, policy: AckPolicy, deferred: Deferred, records: number) {
    this.#config = config;
    this.#message = message;
    this.#policy = policy;
    this.#deferred = deferred;
    this.#left = records;
  }

  /** Only the outcome counts (on the prototype: no field per message). */
  declare readonly ignoresMetadata: true;

  resolve(): void {
    if (--this.#left === 0) this.#finish();
  }

  reject(err: unknown): void {
    this.#error ??= publishError(err);
    if (--this.#left === 0) this.#finish();
  }

  /** Settles the message per policy (called by `endAfter`). */
  finish(err: unknown): After | Promise<After> {
    return conclude(this.#config, this.#message, this.#policy, err, 1);
  }

  #finish(): void {
    endAfter(this.#deferred, this, this.#error);
  }
}

/**
 * Where the fast path leaves a message whose handler returned a native promise, when its caller
 * awaits that promise itself (`pending`) and hands the outcome back (`resume` or `fail`): the
 * message then costs no continuation closures and no promise of its own. The caller processes
 * one message at a time, so one suspension serves them all.
 */
export class Suspension {
  /** The handler's promise (after `hold`). */
  pending: Promise<unknown> = SETTLED;
  #config: PipelineConfig | undefined;
  #handler: PreparedHandler | undefined;
  #message: AnyMessage | undefined;
  #deferred: Deferred | undefined;

  /** @internal records the suspended message. */
  hold(
    config: PipelineConfig,
    handler: PreparedHandler,
    message: AnyMessage,
    pending: Promise<unknown>,
    deferred: Deferred | undefined,
  ): this {
    this.#config = config;
    this.#handler = handler;
    this.#message = message;
    this.#deferred = deferred;
    this.pending = pending;
    return this;
  }

  /** Goes on with the handler's result: publishes it, settles the message. */
  resume(result: unknown): After | Promise<After> {
    const config = this.#config!;
    const handler = this.#handler!;
    const message = this.#message!;
    const deferred = this.#deferred;
    this.#release();
    return publish(config, handler, message, result, deferred);
  }

  /** Settles the message after its handler failed. */
  fail(err: unknown): After | Promise<After> {
    const config = this.#config!;
    const message = this.#message!;
    const policy = this.#handler!.ackPolicy;
    this.#release();
    return conclude(config, message, policy, err, 1);
  }

  /** Lets go of the message (nothing done is kept alive by the loop's suspension). */
  #release(): void {
    this.#config = this.#handler = this.#message = this.#deferred = undefined;
    this.pending = SETTLED;
  }
}

Object.defineProperty(PendingResult.prototype, "ignoresMetadata", { value: true });

const SETTLED: Promise<unknown> = Promise.resolve();
