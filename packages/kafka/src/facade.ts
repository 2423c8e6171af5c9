import { SetupError, StateError } from "@faststream/core";
import type { HandlerOptions, KafkaHandler, PublisherFactory, SubscriberDecl } from "./declaration.js";
import type { KafkaMessage } from "./message.js";
import type { KafkaPublisherOptions } from "./options.js";
import type { KafkaPublisher } from "./publisher.js";
import type { KafkaMiddleware } from "./scope.js";
import type { SubscriberRuntime } from "./subscriber.js";

/** Hidden link from a facade to its declaration (for test brokers). @internal */
export const DECL = Symbol("faststream.subscriber.declaration");

/** The declaration behind a subscriber facade. @internal */
export function declarationOf(subscriber: object): SubscriberDecl {
  const decl = (subscriber as { [DECL]?: SubscriberDecl })[DECL];
  if (!decl) throw new TypeError("not a FastStream subscriber");
  return decl;
}

/** A decorator registering a class method as a handler. */
export type HandlerDecorator<T, P, D, B extends boolean> = (
  method: KafkaHandler<T, P, D, B>,
  context: ClassMethodDecoratorContext,
) => void;

/**
 * A subscriber: what it reads plus consumer settings, with one or more handlers. Use it as a
 * TC39 method decorator (`@broker.subscriber(...)`) or call `handle(fn)`.
 * `T` is the body type, `P` the path parameters, `D` the dependencies, `B` batch mode.
 */
export interface KafkaSubscriber<T, P = {}, D = {}, B extends boolean = false> {
  /** Registers a decorated method as the subscriber's (fallback) handler. */
  (method: KafkaHandler<T, P, D, B>, context: ClassMethodDecoratorContext): void;
  /** Registers `handler`; with `options.filter` it only gets the messages the filter accepts. */
  handle(handler: KafkaHandler<T, P, D, B>, options?: HandlerOptions<T, P, D>): KafkaSubscriber<T, P, D, B>;
  /** A decorator registering a method with handler options (e.g. a filter). */
  handler(options: HandlerOptions<T, P, D>): HandlerDecorator<T, P, D, B>;
  /** Publishes every handler's results to `topic` (or through an existing publisher). */
  publisher(target: string | KafkaPublisher, options?: KafkaPublisherOptions): KafkaSubscriber<T, P, D, B>;
  /** Adds a subscriber-level middleware. */
  use(middleware: KafkaMiddleware): KafkaSubscriber<T, P, D, B>;
  /** What it reads: topics, pattern or partitions. */
  readonly target: string;
  /** Consumer group (`undefined`: an ephemeral group of its own). */
  readonly groupId: string | undefined;
  /** True while its consumer runs. */
  readonly running: boolean;
  /**
   * Messages fetched but not yet settled. Bounded: a slow handler holds fetching back (at most
   * about two batches per partition wait in memory), so a huge backlog does not fill memory.
   */
  readonly pending: number;
  /** Starts this subscriber alone (the broker must be started or connected). */
  start(): Promise<void>;
  /** Stops this subscriber alone (graceful: in-flight handlers finish, offsets are committed). */
  stop(): Promise<void>;
  /**
   * Pull mode (a subscriber without handlers): the next message, or `undefined` after
   * `timeoutMs` (default 5 000). The previous one is acknowledged when the next is requested,
   * unless it was settled already.
   */
  getOne(options?: { timeoutMs?: number }): Promise<KafkaMessage<T, P, D> | undefined>;
  /** Pull mode: iterate messages as they arrive (each acknowledged when the loop moves on). */
  [Symbol.asyncIterator](): AsyncIterator<KafkaMessage<T, P, D>>;
}

/** Runtime access for a facade. @internal */
export interface FacadeHost {
  runtime(decl: SubscriberDecl): SubscriberRuntime | undefined;
  startSubscriber(runtime: SubscriberRuntime): Promise<void>;
}

function methodDecorator(decl: SubscriberDecl, options: HandlerOptions<unknown, unknown, unknown>) {
  return (method: unknown, context: ClassMethodDecoratorContext): void => {
    if (context?.kind !== "method") {
      throw new SetupError("decorator", `a subscriber decorates methods, not ${String(context?.kind)}s`);
    }
    const self: { value: unknown } = { value: undefined };
    // Instance methods run with the most recently constructed instance as `this`; static
    // methods with the class.
    context.addInitializer(function (this: unknown) {
      self.value = this;
    });
    decl.addHandler(method, self, options);
  };
}

/** Wraps a declaration in the callable public subscriber object. @internal */
export function createSubscriberFacade<T, P, D, B extends boolean>(
  decl: SubscriberDecl,
  host: () => FacadeHost | undefined,
  label: string,
  makePublisher: PublisherFactory,
): KafkaSubscriber<T, P, D, B> {
  const runtime = (): SubscriberRuntime => {
    const h = host();
    const rt = h?.runtime(decl);
    if (!h || !rt) throw new StateError(`subscriber on ${label} belongs to a router that is not included in a broker`);
    return rt;
  };
  const facade = Object.assign(methodDecorator(decl, {}), {
    groupId: decl.rawOptions.groupId,
    handle(handler: unknown, options: HandlerOptions<unknown, unknown, unknown> = {}) {
      decl.addHandler(handler, { value: undefined }, options);
      return facade;
    },
    handler(options: HandlerOptions<unknown, unknown, unknown>) {
      return methodDecorator(decl, options);
    },
    publisher(target: string | KafkaPublisher, options?: KafkaPublisherOptions) {
      decl.publishers.push(typeof target === "string" ? makePublisher(target, options) : target);
      return facade;
    },
    use(middleware: KafkaMiddleware) {
      decl.scope.use(middleware);
      return facade;
    },
    start: () => host()!.startSubscriber(runtime()),
    stop: () => runtime().stop(),
    getOne: (options: { timeoutMs?: number } = {}) => runtime().pull(options.timeoutMs ?? 5_000),
    [Symbol.asyncIterator]: () => {
      const rt = runtime();
      return {
        async next(): Promise<IteratorResult<unknown>> {
          while (rt.pullable) {
            const message = await rt.pull(60_000);
            if (message) return { done: false, value: message };
          }
          return { done: true, value: undefined };
        },
        async return(): Promise<IteratorResult<unknown>> {
          rt.releasePulled();
          return { done: true, value: undefined };
        },
      };
    },
    [DECL]: decl,
  });
  Object.defineProperties(facade, {
    target: { get: () => host()?.runtime(decl)?.target.label ?? label, enumerable: true },
    running: { get: () => host()?.runtime(decl)?.running ?? false, enumerable: true },
    pending: { get: () => host()?.runtime(decl)?.pending ?? 0, enumerable: true },
  });
  return facade as unknown as KafkaSubscriber<T, P, D, B>;
}
