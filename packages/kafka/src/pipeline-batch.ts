/**
 * Processing for batch subscribers: each record is decoded and validated on its own, the
 * handler gets the good ones together, and they are settled together.
 */
import { isControlFlow, type Settlement, wrapConsume } from "@faststream/core";
import type { KafkaMessage } from "./message.js";
import {
  type After,
  type AnyMessage,
  controlSettlement,
  type Deferred,
  deadLetter,
  defer,
  decodeBody,
  decodeRaw,
  type PipelineConfig,
  type PreparedHandler,
  policySettlement,
  publishError,
  publishResult,
  report,
  resolveDeps,
  runAfter,
  settle,
  validated,
} from "./pipeline-steps.js";
import type { KafkaMiddleware } from "./scope.js";

/**
 * Processes a batch for a batch subscriber: each record is decoded and validated on its own
 * (bad ones are rejected and reported), then the handler gets the good ones together; they
 * are settled together. Never throws.
 *
 * With `deferred`, the batch does not wait for its result to be published: it is handed over
 * there (counted as its number of messages) and settled once the broker acknowledged every
 * record of it, so the caller can go on with the next batch. Results still leave in order.
 */
export async function processBatch(
  config: PipelineConfig,
  messages: readonly AnyMessage[],
  deferred?: Deferred,
): Promise<After> {
  const good: AnyMessage[] = [];
  let after: After = "continue";
  for (const m of messages) {
    try {
      if (config.fast) {
        // Nothing to await unless the schema validates asynchronously.
        const body = validated(config, m, decodeRaw(config, m));
        m.body = body instanceof Promise ? await body : body;
      } else {
        for (const mw of config.middlewares) if (mw.onReceive) await mw.onReceive(m as KafkaMessage<unknown>);
        m.body = await decodeBody(config, m);
        await resolveDeps(config, m);
      }
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
  const first = good[0]!;
  const chain = handler.middlewares.length ? [...config.middlewares, ...handler.middlewares] : config.middlewares;
  let publishing: Promise<unknown>;
  try {
    const call = async (): Promise<unknown> =>
      handler.call(
        good.map((m) => m.body),
        good,
      );
    const result = chain.length
      ? await wrapConsume(chain as KafkaMiddleware[], first as KafkaMessage<unknown>, call)
      : await call();
    if (result === undefined || result === null) return concludeBatch(config, handler, good, undefined, after);
    publishing = publishResult(config, handler, first, result, chain);
  } catch (err) {
    return concludeBatch(config, handler, good, err, after);
  }
  if (!deferred) {
    let failed: unknown;
    try {
      await publishing;
    } catch (err) {
      failed = publishError(err);
    }
    return concludeBatch(config, handler, good, failed, after);
  }
  defer(deferred, publishing, (err) => concludeBatch(config, handler, good, err, "continue"), good.length);
  return after;
}

/** Settles a batch's messages per its outcome (a control-flow error, or the policy's), reporting a failure. */
async function concludeBatch(
  config: PipelineConfig,
  handler: PreparedHandler,
  good: readonly AnyMessage[],
  err: unknown,
  after: After,
): Promise<After> {
  let error: unknown;
  let explicit: Settlement | "skip" | "stop" | undefined;
  if (err !== undefined && isControlFlow(err)) explicit = err.settlement;
  else error = err;
  const settlement = explicit ? controlSettlement(explicit) : policySettlement(handler.ackPolicy, error);
  if (error !== undefined) report(good[0]!, error, settlement, config.label);
  for (const m of good) {
    const dead = settlement === "reject" && config.deadLetter && m.settlement === undefined;
    settle(m, dead ? await deadLetter(config, m, error ?? new Error("rejected"), 1, config.middlewares) : settlement);
  }
  if (config.middlewares.length > 0) for (const m of good) await runAfter(config.middlewares, m, error);
  return explicit === "stop" ? "stop" : after;
}
