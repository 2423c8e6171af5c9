import { type AckPolicy, isControlFlow, wrapConsume } from "@faststream/core";
import type { KafkaMessage } from "./message.js";
import type { KafkaMiddleware } from "./scope.js";
import { processFast, type Suspension } from "./pipeline-fast.js";
import {
  type After,
  type AnyMessage,
  type Deferred,
  defer,
  conclude,
  controlSettlement,
  decodeBody,
  failure,
  noHandler,
  type PipelineConfig,
  pickHandler,
  publishError,
  publishResult,
  report,
  runAfter,
  resolveDeps,
  settle,
} from "./pipeline-steps.js";
import { sendWithHooks } from "./publisher.js";
import { backoffWait, NO_RETRY, type RetryPolicy } from "./retry.js";

export type { After, PipelineConfig, PreparedHandler } from "./pipeline-steps.js";
export { Suspension } from "./pipeline-fast.js";

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

/**
 * Processes one message: receive hooks, decode, validate, pick a handler, dependencies,
 * consume hooks around the handler, publish the result, settle per policy, after hooks.
 * Never throws: every failure is logged with the message's location and settled.
 *
 * With `deferred`, the message does not wait for its result to be published: the publish is
 * pushed there and the message is settled (committable) only once the broker acknowledged it,
 * so the caller can go on with the next message and await them all at the end of its batch.
 * Publishes still leave in message order; a failed one is handled like a failed handler.
 *
 * Returns a promise only when some step did (subscribers without middlewares, decoder,
 * dependencies or retries take a path that continues synchronously otherwise). With
 * `suspension`, a fast-path message whose handler returned a promise returns `suspension`
 * instead: the caller awaits its `pending` promise and calls `resume` or `fail` with the outcome.
 */
export function processMessage(
  config: PipelineConfig,
  message: AnyMessage,
  basePolicy: AckPolicy,
  heartbeat?: () => Promise<void>,
  deferred?: Deferred,
  suspension?: Suspension,
): After | Promise<After> | Suspension {
  if (config.fast) return processFast(config, message, basePolicy, deferred, suspension);
  return processGeneral(config, message, basePolicy, heartbeat, deferred);
}

async function processGeneral(
  config: PipelineConfig,
  message: AnyMessage,
  basePolicy: AckPolicy,
  heartbeat?: () => Promise<void>,
  deferred?: Deferred,
): Promise<After> {
  let attempts = 1;
  const mws = config.middlewares;
  let policy = basePolicy;
  const finish = async (err: unknown): Promise<After> => {
    const after = await conclude(config, message, policy, err, attempts);
    await runAfter(mws, message, failure(err));
    return after;
  };
  try {
    for (const mw of mws) if (mw.onReceive) await mw.onReceive(message as KafkaMessage<unknown>);
    message.body = await decodeBody(config, message);
    const handler = pickHandler(config, message);
    if (!handler) throw noHandler(config, message);
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
        defer(deferred, publishing, finish);
        return "continue";
      }
      try {
        await publishing;
      } catch (err) {
        return finish(publishError(err));
      }
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

export { processBatch } from "./pipeline-batch.js";
export { sendWithHooks };
