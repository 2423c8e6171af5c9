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
  defer,
  isThenable,
  noHandler,
  type PipelineConfig,
  type PreparedHandler,
  pickHandler,
  publishResult,
  validated,
} from "./pipeline-steps.js";

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
): After | Promise<After> {
  let body: unknown;
  try {
    body = validated(config, message, decodeRaw(config, message));
  } catch (err) {
    return conclude(config, message, policy, err, 1);
  }
  if (body instanceof Promise) {
    return body.then(
      (value: unknown) => handle(config, message, value, policy, deferred),
      (err: unknown) => conclude(config, message, policy, err, 1),
    );
  }
  return handle(config, message, body, policy, deferred);
}

function handle(
  config: PipelineConfig,
  message: AnyMessage,
  body: unknown,
  basePolicy: AckPolicy,
  deferred: Deferred | undefined,
): After | Promise<After> {
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
  let publishing: Promise<unknown>;
  try {
    publishing = publishResult(config, handler, message, result, NO_MIDDLEWARES);
  } catch (err) {
    return conclude(config, message, policy, err, 1);
  }
  const finish = (err: unknown): After | Promise<After> => conclude(config, message, policy, err, 1);
  if (!deferred) return publishing.then(() => finish(undefined), finish);
  defer(deferred, publishing, finish);
  return "continue";
}
