/**
 * Middlewares: hooks around receiving, consuming (the handler call), publishing and after
 * processing. Declared at broker, router and subscriber level; on entry they run outer to inner
 * (broker, router, subscriber), on exit inner to outer.
 */

/** A publish passing through middlewares. */
export interface PublishCall {
  /** Destination topic. */
  readonly topic: string;
  /** The value being published (before encoding). */
  readonly body: unknown;
  /** Headers (mutable: middlewares may add some). */
  readonly headers: Record<string, string | Buffer>;
}

/**
 * A middleware. Every hook is optional. `M` is the received message type.
 * Hooks may throw control-flow errors (`SkipMessage`, `NackMessage`, ...).
 */
export interface Middleware<M = unknown> {
  /** Called first for each message, before decoding. */
  onReceive?(message: M): void | Promise<void>;
  /** Wraps the handler call: call `next()` to continue; its result is the handler's result. */
  consume?(next: () => Promise<unknown>, message: M): Promise<unknown>;
  /** Wraps each publish (handler results and direct publishes). */
  publish?(next: () => Promise<unknown>, call: PublishCall): Promise<unknown>;
  /** Called last for each message with the error that ended processing, if any. */
  afterProcessed?(message: M, error: unknown): void | Promise<void>;
}

/** Runs `call` inside every `consume` hook (first middleware outermost). */
export function wrapConsume<M>(
  middlewares: readonly Middleware<M>[],
  message: M,
  call: () => Promise<unknown>,
): Promise<unknown> {
  let next = call;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const hook = middlewares[i]!.consume;
    if (!hook) continue;
    const inner = next;
    const mw = middlewares[i]!;
    next = () => hook.call(mw, inner, message);
  }
  return next();
}

/** Runs `call` inside every `publish` hook (first middleware outermost). */
export function wrapPublish<M>(
  middlewares: readonly Middleware<M>[],
  publish: PublishCall,
  call: () => Promise<unknown>,
): Promise<unknown> {
  let next = call;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const hook = middlewares[i]!.publish;
    if (!hook) continue;
    const inner = next;
    const mw = middlewares[i]!;
    next = () => hook.call(mw, inner, publish);
  }
  return next();
}

// biome-ignore lint/suspicious/noExplicitAny: error classes have arbitrary constructor signatures
type ErrorClass<E> = abstract new (...args: any[]) => E;

/** What an exception handler returns: a fallback result to publish, or `undefined` to suppress. */
export type ExceptionHandler<E, M> = (error: E, message: M) => unknown;

/**
 * Maps error classes to handlers. When the handler (or an inner middleware) throws, the
 * handler registered for the most specific class in the error's prototype chain runs: its
 * return value becomes the result (and is published like one); returning `undefined`
 * suppresses the error (the message counts as handled). Rethrow to let the error continue.
 *
 * @example
 * broker.use(
 *   new ExceptionMiddleware()
 *     .on(NotFoundError, () => ({ status: 404 }))
 *     .on(Error, (err, msg) => { msg.logger.warn({ err }, "ignored"); }),
 * );
 */
export class ExceptionMiddleware<M = unknown> implements Middleware<M> {
  readonly #handlers = new Map<Function, ExceptionHandler<unknown, M>>();

  /** Registers `handler` for errors of class `type` (and subclasses without their own handler). */
  on<E>(type: ErrorClass<E>, handler: ExceptionHandler<E, M>): this {
    this.#handlers.set(type, handler as ExceptionHandler<unknown, M>);
    return this;
  }

  /** The handler for `error`, walking its prototype chain from the most specific class. */
  handlerFor(error: unknown): ExceptionHandler<unknown, M> | undefined {
    if (typeof error !== "object" || error === null) return undefined;
    for (let proto = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
      const handler = this.#handlers.get(proto.constructor);
      if (handler) return handler;
    }
    return undefined;
  }

  async consume(next: () => Promise<unknown>, message: M): Promise<unknown> {
    try {
      return await next();
    } catch (error) {
      const handler = this.handlerFor(error);
      if (!handler) throw error;
      return await handler(error, message);
    }
  }
}
