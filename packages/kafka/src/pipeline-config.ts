import type { HandlerCall, SubscriberDecl } from "./declaration.js";
import type { PipelineConfig, PreparedHandler } from "./pipeline-steps.js";
import { publishersOf } from "./publisher.js";
import type { BrokerHost } from "./subscriber.js";
import type { ResolvedSubscriberOptions } from "./subscriber-options.js";

/** Wraps a handler so a test broker records its calls. */
function spied(decl: SubscriberDecl, fn: (body: unknown, message: unknown) => unknown) {
  return async (body: unknown, message: unknown): Promise<unknown> => {
    const call: HandlerCall = { body, message };
    decl.spy?.push(call);
    try {
      call.result = await fn(body, message);
      return call.result;
    } catch (err) {
      call.error = err;
      throw err;
    } finally {
      for (const l of decl.spyListeners) l();
    }
  };
}

/**
 * Snapshots what processing needs from a declaration and its cascading scopes: codec, decoder,
 * schema, middlewares (outer to inner), handlers with their policies and publishers.
 * @internal
 */
export function buildPipelineConfig(
  decl: SubscriberDecl,
  options: ResolvedSubscriberOptions,
  host: Pick<BrokerHost, "sendThrough" | "deliver" | "replyRecord" | "minimalHeaders">,
  label: string,
): PipelineConfig {
  const scope = decl.scope;
  const policy = scope.resolveAckPolicy();
  const handlers: PreparedHandler[] = decl.handlers.map((h) => {
    const call = (body: unknown, message: unknown): unknown => h.fn.call(h.self.value, body, message);
    return {
      call: decl.spy ? spied(decl, call) : call,
      filter: h.options.filter as PreparedHandler["filter"],
      middlewares: h.options.middlewares ?? [],
      ackPolicy: h.options.ackPolicy ?? policy,
      publishers: [...(h.options.publishers ?? []), ...publishersOf(h.fn), ...decl.publishers],
    };
  });
  // Handlers with a filter are tried first, in declaration order; the fallback last.
  handlers.sort((a, b) => Number(!a.filter) - Number(!b.filter));
  const middlewares = scope.chain();
  const decoder = scope.resolveDecoder();
  const fast =
    middlewares.length === 0 &&
    decoder === undefined &&
    (options.dependencies === undefined || Object.keys(options.dependencies).length === 0) &&
    (options.retry?.maxAttempts ?? 1) <= 1 &&
    handlers.every((h) => h.middlewares.length === 0);
  return {
    codec: scope.resolveCodec(),
    decoder,
    schema: options.schema,
    dependencies: options.dependencies,
    retry: options.retry,
    deadLetter: options.deadLetter,
    maxBodyBytes: options.maxBodyBytes,
    middlewares,
    handlers,
    send: (record, body, mws) => host.sendThrough(record, body, mws),
    deliver: (record, settle) => host.deliver(record, settle),
    replyRecord: (body, topic, correlationId) => host.replyRecord(body, topic, correlationId),
    minimalHeaders: host.minimalHeaders,
    label,
    fast,
  };
}
