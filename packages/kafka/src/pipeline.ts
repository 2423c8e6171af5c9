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
  wrapConsume,
} from "@faststream/core";
import type { OutgoingRecord, RecordMetadata } from "./driver.js";
import type { KafkaMessage } from "./message.js";
import type { KafkaPublisher } from "./publisher.js";
import { sendWithHooks } from "./publisher.js";
import { isKafkaResponse } from "./response.js";
import type { Decoder, KafkaMiddleware } from "./scope.js";
import { deadLetterRecord } from "./dead-letter.js";
import { backoffWait, NO_RETRY, type RetryPolicy } from "./retry.js";
import type { Dependencies } from "./subscriber-options.js";

type AnyMessage = KafkaMessage<unknown, unknown, unknown>;

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
  readonly replyRecord: (body: unknown, topic: string, correlationId: string) => OutgoingRecord;
  readonly label: string;
}

/** What processing asks of the subscriber afterwards. */
export type After = "continue" | "stop";

async function decodeBody(config: PipelineConfig, message: AnyMessage): Promise<unknown> {
  const size = message.rawBody?.length ?? 0;
  if (config.maxBodyBytes !== undefined && size > config.maxBodyBytes) {
    throw new DecodeError(message, `body is ${size} bytes, over the maxBodyBytes limit of ${config.maxBodyBytes}`);
  }
  const decode = (): unknown => config.codec.decode(message.rawBody, message.contentType, message);
  let body = config.decoder ? await config.decoder(message as KafkaMessage<unknown>, decode) : decode();
  if (config.schema) {
    const checked = validate(config.schema, body);
    const result = checked instanceof Promise ? await checked : checked;
    if (!result.ok) throw new ValidationError(message, result.issues);
    body = result.value;
  }
  return body;
}

async function resolveDeps(config: PipelineConfig, message: AnyMessage): Promise<void> {
  const deps = config.dependencies;
  if (!deps) return;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(deps)) out[name] = await deps[name]!(message as KafkaMessage<unknown>);
  message.deps = out;
}

/** Publishes a handler result to the handler's publishers and to `reply_to`. */
async function publishResult(
  config: PipelineConfig,
  handler: PreparedHandler,
  message: AnyMessage,
  result: unknown,
  chain: readonly KafkaMiddleware[],
): Promise<void> {
  const response = isKafkaResponse(result) ? result : undefined;
  const body = response ? response.body : result;
  const options = { correlationId: message.correlationId, ...response?.options };
  const pending: Promise<unknown>[] = [];
  for (const p of handler.publishers) pending.push(config.send(p.prepare(body, options), body, chain));
  const replyTo = message.replyTo;
  if (replyTo) pending.push(config.send(config.replyRecord(body, replyTo, options.correlationId), body, chain));
  if (pending.length === 1) await pending[0];
  else if (pending.length > 1) await Promise.all(pending);
}

function pickHandler(config: PipelineConfig, message: AnyMessage): PreparedHandler | undefined {
  for (const h of config.handlers) if (!h.filter || h.filter(message)) return h;
  return undefined;
}

/** The settlement a policy gives an outcome. */
function policySettlement(policy: AckPolicy, error: unknown): Settlement | undefined {
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

/** Runs `attempt` until it succeeds, the error is not retryable, or attempts run out. */
async function withRetries(
  retry: RetryPolicy,
  message: AnyMessage,
  attempt: () => Promise<unknown>,
  heartbeat: (() => Promise<void>) | undefined,
  onAttempt: (n: number) => void,
): Promise<unknown> {
  for (let n = 1; ; n++) {
    onAttempt(n);
    try {
      return await attempt();
    } catch (err) {
      if (n >= retry.maxAttempts || !retry.retries(err)) throw err;
      const delay = retry.delayMs(n);
      message.logger.warn(
        { err, attempt: n, maxAttempts: retry.maxAttempts, delayMs: delay },
        "handler failed; retrying",
      );
      await backoffWait(delay, heartbeat);
    }
  }
}

/** Publishes a rejected message to the dead-letter topic; if that fails, it is nacked instead. */
async function deadLetter(
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

function settle(message: AnyMessage, settlement: Settlement | undefined): void {
  if (settlement === "ack") message.ack();
  else if (settlement === "reject") message.reject();
  else if (settlement === "nack") message.nack();
}

/** What a control-flow error asks for: a settlement, plus whether to stop the subscriber. */
function controlSettlement(settlement: Settlement | "skip" | "stop"): Settlement {
  return settlement === "skip" || settlement === "stop" ? "ack" : settlement;
}

/** Runs afterProcessed hooks inner to outer; a failing hook is logged, never thrown. */
async function runAfter(mws: readonly KafkaMiddleware[], message: AnyMessage, error: unknown): Promise<void> {
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

function report(message: AnyMessage, error: unknown, settlement: Settlement | undefined, label: string): void {
  const what = settlement === "nack" ? "it will be redelivered" : "offset committed";
  if (error instanceof MessageError) {
    message.logger.error({ code: error.code, settlement }, `${error.message}; ${what}`);
    return;
  }
  message.logger.error({ err: error, settlement, subscriber: label }, `handler failed; ${what}`);
}

/**
 * Processes one message: receive hooks, decode, validate, pick a handler, dependencies,
 * consume hooks around the handler, publish the result, settle per policy, after hooks.
 * Never throws: every failure is logged with the message's location and settled.
 *
 * With `deferred`, the message does not wait for its result to be published: the publish is
 * pushed there and the message is settled (committable) only once the broker acknowledged it,
 * so the caller can go on with the next message and await them all at the end of its batch.
 * Publishes still leave in message order; a failed one is handled like a failed handler.
 */
export async function processMessage(
  config: PipelineConfig,
  message: AnyMessage,
  basePolicy: AckPolicy,
  heartbeat?: () => Promise<void>,
  deferred?: Promise<unknown>[],
): Promise<After> {
  let attempts = 1;
  const mws = config.middlewares;
  let policy = basePolicy;
  const finish = async (err: unknown): Promise<After> => {
    let error: unknown;
    let explicit: Settlement | "skip" | "stop" | undefined;
    if (err !== undefined && isControlFlow(err)) explicit = err.settlement;
    else error = err;
    let settlement = explicit ? controlSettlement(explicit) : policySettlement(policy, error);
    if (error !== undefined) report(message, error, message.settlement ?? settlement, config.label);
    if (settlement === "reject" && config.deadLetter && message.settlement === undefined) {
      settlement = await deadLetter(
        config,
        message,
        error ?? new Error(`rejected by ${String(explicit)}`),
        attempts,
        mws,
      );
    }
    settle(message, settlement);
    await runAfter(mws, message, error);
    return explicit === "stop" ? "stop" : "continue";
  };
  try {
    for (const mw of mws) if (mw.onReceive) await mw.onReceive(message as KafkaMessage<unknown>);
    message.body = await decodeBody(config, message);
    const handler = pickHandler(config, message);
    if (!handler) {
      throw new MessageError("NO_HANDLER", message, `no handler of subscriber ${config.label} matched the message`);
    }
    policy = handler.ackPolicy;
    await resolveDeps(config, message);
    const chain = handler.middlewares.length ? [...mws, ...handler.middlewares] : mws;
    const call = async (): Promise<unknown> => handler.call(message.body, message);
    const attemptOnce = (): Promise<unknown> =>
      chain.length ? wrapConsume(chain as KafkaMiddleware[], message as KafkaMessage<unknown>, call) : call();
    const result = await withRetries(config.retry ?? NO_RETRY, message, attemptOnce, heartbeat, (n) => {
      attempts = n;
    });
    if (result !== undefined && result !== null) {
      const publishing = publishResult(config, handler, message, result, chain);
      if (deferred) {
        deferred.push(publishing.then(() => finish(undefined), finish));
        return "continue";
      }
      await publishing;
    }
  } catch (err) {
    return finish(err);
  }
  return finish(undefined);
}

/**
 * Prepares a message for pull mode: receive hooks, decode, validate, dependencies. A message
 * that fails is reported and rejected (or settled per a control-flow error); returns false.
 */
export async function preparePulled(config: PipelineConfig, message: AnyMessage): Promise<boolean> {
  try {
    for (const mw of config.middlewares) if (mw.onReceive) await mw.onReceive(message as KafkaMessage<unknown>);
    message.body = await decodeBody(config, message);
    await resolveDeps(config, message);
    return true;
  } catch (err) {
    if (isControlFlow(err)) settle(message, controlSettlement(err.settlement));
    else {
      report(message, err, "reject", config.label);
      settle(message, "reject");
    }
    return false;
  }
}

/**
 * Processes a batch for a batch subscriber: each record is decoded and validated on its own
 * (bad ones are rejected and reported), then the handler gets the good ones together; they
 * are settled together. Never throws.
 */
export async function processBatch(config: PipelineConfig, messages: readonly AnyMessage[]): Promise<After> {
  const good: AnyMessage[] = [];
  let after: After = "continue";
  for (const m of messages) {
    try {
      for (const mw of config.middlewares) if (mw.onReceive) await mw.onReceive(m as KafkaMessage<unknown>);
      m.body = await decodeBody(config, m);
      await resolveDeps(config, m);
      good.push(m);
    } catch (err) {
      if (isControlFlow(err)) {
        if (err.settlement === "stop") after = "stop";
        settle(m, controlSettlement(err.settlement));
      } else {
        report(m, err, "reject", config.label);
        settle(m, config.deadLetter ? await deadLetter(config, m, err, 1, config.middlewares) : "reject");
      }
    }
  }
  if (good.length === 0) return after;
  const handler = config.handlers[0]!;
  let error: unknown;
  let explicit: Settlement | "skip" | "stop" | undefined;
  const first = good[0]!;
  try {
    const chain = handler.middlewares.length ? [...config.middlewares, ...handler.middlewares] : config.middlewares;
    const call = async (): Promise<unknown> =>
      handler.call(
        good.map((m) => m.body),
        good,
      );
    const result = chain.length
      ? await wrapConsume(chain as KafkaMiddleware[], first as KafkaMessage<unknown>, call)
      : await call();
    if (result !== undefined && result !== null) await publishResult(config, handler, first, result, chain);
  } catch (err) {
    if (isControlFlow(err)) explicit = err.settlement;
    else error = err;
  }
  if (explicit === "stop") after = "stop";
  const settlement = explicit ? controlSettlement(explicit) : policySettlement(handler.ackPolicy, error);
  if (error !== undefined) report(first, error, settlement, config.label);
  for (const m of good) {
    const dead = settlement === "reject" && config.deadLetter && m.settlement === undefined;
    settle(m, dead ? await deadLetter(config, m, error ?? new Error("rejected"), 1, config.middlewares) : settlement);
  }
  for (const m of good) await runAfter(config.middlewares, m, error);
  return after;
}

export { sendWithHooks };
