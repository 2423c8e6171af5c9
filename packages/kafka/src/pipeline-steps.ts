/**
 * The steps message processing is made of, shared by the general pipeline and its fast path:
 * decoding and validation, handler choice, result publishing, settlement per policy,
 * dead-lettering, reporting.
 */
import {
  type AckPolicy,
  type AnySchema,
  type Codec,
  DecodeError,
  isControlFlow,
  MessageError,
  type Settlement,
  ValidationError,
  validate,
} from "@faststream/core";
import { deadLetterRecord } from "./dead-letter.js";
import type { OutgoingRecord, RecordMetadata, Settle } from "./driver.js";
import type { KafkaMessage } from "./message.js";
import type { KafkaPublisher } from "./publisher.js";
import { isKafkaResponse } from "./response.js";
import type { RetryPolicy } from "./retry.js";
import type { Decoder, KafkaMiddleware } from "./scope.js";
import type { Dependencies } from "./subscriber-options.js";

/** @internal */
export type AnyMessage = KafkaMessage<unknown, unknown, unknown>;

/** A registered handler, ready to run. @internal */
export interface PreparedHandler {
  readonly call: (body: unknown, message: unknown) => unknown;
  readonly filter: ((message: AnyMessage) => boolean) | undefined;
  readonly middlewares: readonly KafkaMiddleware[];
  readonly ackPolicy: AckPolicy;
  readonly publishers: readonly KafkaPublisher[];
}

/** Everything processing needs, snapshotted when the subscriber starts. @internal */
export interface PipelineConfig {
  readonly codec: Codec<unknown>;
  readonly decoder: Decoder | undefined;
  readonly schema: AnySchema | undefined;
  readonly dependencies: Dependencies | undefined;
  /** Retries of failing handlers. */
  readonly retry?: RetryPolicy;
  /** Dead-letter topic for rejected messages. */
  readonly deadLetter?: string | undefined;
  /** Largest body accepted. */
  readonly maxBodyBytes?: number | undefined;
  /** Broker, router and subscriber middlewares, outer to inner. */
  readonly middlewares: readonly KafkaMiddleware[];
  readonly handlers: readonly PreparedHandler[];
  readonly send: (
    record: OutgoingRecord,
    body: unknown,
    middlewares: readonly KafkaMiddleware[],
  ) => Promise<RecordMetadata>;
  /** Sends a record with no publish middlewares, its outcome to `settle` (no promise). */
  readonly deliver: (record: OutgoingRecord, settle: Settle) => void;
  readonly replyRecord: (body: unknown, topic: string, correlationId: string) => OutgoingRecord;
  /** `frameworkHeaders: "minimal"`: results carry a correlation id only when the message had one. */
  readonly minimalHeaders?: boolean;
  readonly label: string;
  /**
   * True when nothing can suspend a message besides its handler and its publishes (no
   * middlewares, custom decoder, dependencies or retries): such messages take the fast path,
   * which awaits only what returns a promise.
   */
  readonly fast?: boolean;
}

/**
 * Where a message whose result is still being published is handed over: `begin` when its
 * publish starts, `end` once the publish ended and the message was settled. @internal
 */
export interface Deferred {
  /** `count` messages (default 1) are handed over. */
  begin(count?: number): void;
  /** `count` messages (default 1) ended. */
  end(count?: number): void;
}

/**
 * The error a failed publish settles its message with: a rejection without a reason is still
 * a failure (never taken for success). @internal
 */
export function publishError(err: unknown): unknown {
  return err ?? new Error("publishing the handler result failed");
}

/**
 * Hands `count` messages (one, or a batch) whose result is being published over to `deferred`:
 * once `publishing` ended, `finish` settles them (with the publish error, if any), then
 * `deferred` hears of it. Returns at once. @internal
 */
export function defer(
  deferred: Deferred,
  publishing: Promise<unknown>,
  finish: (err: unknown) => After | Promise<After>,
  count = 1,
): void {
  deferred.begin(count);
  const finisher: Finisher = { finish };
  publishing.then(
    () => endAfter(deferred, finisher, undefined, count),
    (err: unknown) => endAfter(deferred, finisher, publishError(err), count),
  );
}

/** Settles a message once its result's publish ended (with the publish error, if any). @internal */
export interface Finisher {
  finish(err: unknown): After | Promise<After>;
}

/**
 * Settles `count` deferred messages through `finisher` (with the publish error, if any), then
 * tells `deferred` they ended, after the settling if that is asynchronous (dead-lettering). An
 * object, not a callback: the fast path's per-message state settles itself without a closure.
 * @internal
 */
export function endAfter(deferred: Deferred, finisher: Finisher, err: unknown, count = 1): void {
  let after: After | Promise<After>;
  try {
    after = finisher.finish(err);
  } catch {
    deferred.end(count);
    return;
  }
  if (isThenable(after)) {
    const end = (): void => deferred.end(count);
    after.then(end, end);
  } else {
    deferred.end(count);
  }
}

/** What processing asks of the subscriber afterwards. @internal */
export type After = "continue" | "stop";

/** Decodes the raw body with the codec (no custom decoder), checking the size limit first. */
export function decodeRaw(config: PipelineConfig, message: AnyMessage): unknown {
  const raw = message.rawBody;
  if (config.maxBodyBytes !== undefined && raw !== null && raw.length > config.maxBodyBytes) {
    throw new DecodeError(
      message,
      `body is ${raw.length} bytes, over the maxBodyBytes limit of ${config.maxBodyBytes}`,
    );
  }
  return config.codec.decode(raw, message.contentType, message);
}

/** The validated body, or a promise of it when the schema validates asynchronously. */
export function validated(config: PipelineConfig, message: AnyMessage, body: unknown): unknown {
  if (!config.schema) return body;
  const checked = validate(config.schema, body);
  if (checked instanceof Promise) {
    return checked.then((result) => {
      if (!result.ok) throw new ValidationError(message, result.issues);
      return result.value;
    });
  }
  if (!checked.ok) throw new ValidationError(message, checked.issues);
  return checked.value;
}

/** Computes the subscriber's per-message dependencies into `message.deps`. */
export async function resolveDeps(config: PipelineConfig, message: AnyMessage): Promise<void> {
  const deps = config.dependencies;
  if (!deps) return;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(deps)) out[name] = await deps[name]!(message as KafkaMessage<unknown>);
  message.deps = out;
}

/** Decodes (through the custom decoder, if any) and validates a body. */
export async function decodeBody(config: PipelineConfig, message: AnyMessage): Promise<unknown> {
  const body = config.decoder
    ? await config.decoder(message as KafkaMessage<unknown>, () => decodeRaw(config, message))
    : decodeRaw(config, message);
  return validated(config, message, body);
}

/**
 * The records a handler result is published as: one per publisher of the handler (one per
 * element of an array result for a `batch` publisher), plus `reply_to`. With `bodies`, the body
 * of each record is put there at the same index (what publish hooks see).
 */
export function resultRecords(
  config: PipelineConfig,
  handler: PreparedHandler,
  message: AnyMessage,
  result: unknown,
  bodies?: unknown[],
): OutgoingRecord[] {
  const response = isKafkaResponse(result) ? result : undefined;
  const body = response ? response.body : result;
  // The consumed message's correlation id is carried over (with minimal headers, only one it carried).
  const correlationId =
    response?.options?.correlationId ?? (config.minimalHeaders ? message.correlationHeader : message.correlationId);
  // Options the framework built itself (only the carried correlation id) need no checking.
  const userOptions = response?.options;
  const options =
    correlationId === undefined ? userOptions : userOptions ? { ...userOptions, correlationId } : { correlationId };
  const checked = userOptions === undefined;
  const publishers = handler.publishers;
  const replyTo = message.replyTo;
  const spread = Array.isArray(body) ? body : undefined;
  // Sized up front: an empty array grows by a 17-slot backing store on its first push.
  let size = replyTo ? 1 : 0;
  for (const p of publishers) size += spread && p.options.batch === true ? spread.length : 1;
  const records = new Array<OutgoingRecord>(size);
  let i = 0;
  for (const p of publishers) {
    if (spread && p.options.batch === true) {
      for (const item of spread) {
        // An element may be a KafkaResponse: its body, with its options over the result's.
        const own = isKafkaResponse(item) ? item : undefined;
        if (bodies) bodies[i] = own ? own.body : item;
        records[i++] = own
          ? p.prepare(own.body, options ? { ...options, ...own.options } : own.options)
          : p.prepare(item, options, checked);
      }
    } else {
      if (bodies) bodies[i] = body;
      records[i++] = p.prepare(body, options, checked);
    }
  }
  if (replyTo) {
    if (bodies) bodies[i] = body;
    records[i] = config.replyRecord(body, replyTo, correlationId ?? message.correlationId);
  }
  return records;
}

/** Publishes a handler result to the handler's publishers and to `reply_to`. */
export function publishResult(
  config: PipelineConfig,
  handler: PreparedHandler,
  message: AnyMessage,
  result: unknown,
  chain: readonly KafkaMiddleware[],
): Promise<unknown> {
  const bodies: unknown[] = [];
  const records = resultRecords(config, handler, message, result, bodies);
  if (records.length === 1) return config.send(records[0]!, bodies[0], chain);
  return Promise.all(records.map((r, i) => config.send(r, bodies[i], chain)));
}

/** The first handler whose filter accepts the message (the fallback last). */
export function pickHandler(config: PipelineConfig, message: AnyMessage): PreparedHandler | undefined {
  for (const h of config.handlers) if (!h.filter || h.filter(message)) return h;
  return undefined;
}

/** The error for a message no handler accepts. */
export function noHandler(config: PipelineConfig, message: AnyMessage): MessageError {
  return new MessageError("NO_HANDLER", message, `no handler of subscriber ${config.label} matched the message`);
}

/** The settlement a policy gives an outcome. */
export function policySettlement(policy: AckPolicy, error: unknown): Settlement | undefined {
  if (error === undefined) return policy === "manual" ? undefined : "ack";
  // Deterministic failures would fail again on redelivery: never nack them.
  if (error instanceof DecodeError || error instanceof ValidationError) return "reject";
  if (error instanceof MessageError && error.code === "NO_HANDLER") return "reject";
  switch (policy) {
    case "ack":
    case "ack_first":
      return "ack";
    case "reject_on_error":
      return "reject";
    case "nack_on_error":
    case "manual":
      return "nack";
  }
}

/** Publishes a rejected message to the dead-letter topic; if that fails, it is nacked instead. */
export async function deadLetter(
  config: PipelineConfig,
  message: AnyMessage,
  error: unknown,
  attempts: number,
  chain: readonly KafkaMiddleware[],
): Promise<Settlement> {
  try {
    const record = deadLetterRecord(config.deadLetter!, message, error, attempts);
    await config.send(record, message.body, chain);
    message.logger.warn({ deadLetter: config.deadLetter }, "message dead-lettered");
    return "reject";
  } catch (err) {
    message.logger.error(
      { err, deadLetter: config.deadLetter },
      "dead-lettering failed; the message will be redelivered",
    );
    return "nack";
  }
}

/** Applies a settlement to a message (`undefined`: leave it to the handler, manual policy). */
export function settle(message: AnyMessage, settlement: Settlement | undefined): void {
  if (settlement === "ack") message.ack();
  else if (settlement === "reject") message.reject();
  else if (settlement === "nack") message.nack();
}

/** What a control-flow error asks for: a settlement, plus whether to stop the subscriber. */
export function controlSettlement(settlement: Settlement | "skip" | "stop"): Settlement {
  return settlement === "skip" || settlement === "stop" ? "ack" : settlement;
}

/** Runs afterProcessed hooks inner to outer; a failing hook is logged, never thrown. */
export async function runAfter(mws: readonly KafkaMiddleware[], message: AnyMessage, error: unknown): Promise<void> {
  for (let i = mws.length - 1; i >= 0; i--) {
    const hook = mws[i]!.afterProcessed;
    if (!hook) continue;
    try {
      await hook.call(mws[i], message as KafkaMessage<unknown>, error);
    } catch (hookError) {
      message.logger.error({ err: hookError }, "afterProcessed middleware failed");
    }
  }
}

/** Logs a failed message with its location and what happens to it. */
export function report(message: AnyMessage, error: unknown, settlement: Settlement | undefined, label: string): void {
  const what = settlement === "nack" ? "it will be redelivered" : "offset committed";
  if (error instanceof MessageError) {
    message.logger.error({ code: error.code, settlement }, `${error.message}; ${what}`);
    return;
  }
  message.logger.error({ err: error, settlement, subscriber: label }, `handler failed; ${what}`);
}

/**
 * Settles a processed message per its outcome: a control-flow error's settlement, or the
 * policy's for success or failure; failures are reported and a rejected message is
 * dead-lettered when configured. A promise only while dead-lettering.
 */
export function conclude(
  config: PipelineConfig,
  message: AnyMessage,
  policy: AckPolicy,
  err: unknown,
  attempts: number,
): After | Promise<After> {
  let error: unknown;
  let explicit: Settlement | "skip" | "stop" | undefined;
  if (err !== undefined && isControlFlow(err)) explicit = err.settlement;
  else error = err;
  const after: After = explicit === "stop" ? "stop" : "continue";
  const settlement = explicit ? controlSettlement(explicit) : policySettlement(policy, error);
  if (error !== undefined) report(message, error, message.settlement ?? settlement, config.label);
  if (settlement === "reject" && config.deadLetter && message.settlement === undefined) {
    const cause = error ?? new Error(`rejected by ${String(explicit)}`);
    return deadLetter(config, message, cause, attempts, config.middlewares).then((s) => {
      settle(message, s);
      return after;
    });
  }
  settle(message, settlement);
  return after;
}

/** The error that is not a control-flow signal (what afterProcessed hooks see). */
export function failure(err: unknown): unknown {
  return err !== undefined && isControlFlow(err) ? undefined : err;
}

/** True for promises and other thenables. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}
