import { type AckPolicy, type AnySchema, type Codec, type CodecName, SetupError, StateError } from "@faststream/core";
import type { DriverCapabilities } from "./driver.js";
import type { KafkaMessage } from "./message.js";
import type { KafkaPublisherOptions } from "./options.js";
import type { KafkaPublisher } from "./publisher.js";
import { checkAckPolicy, type KafkaMiddleware, Scope } from "./scope.js";
import {
  type KafkaSubscriberOptions,
  type ResolvedSubscriberOptions,
  resolveSubscriberOptions,
} from "./subscriber-options.js";
import type { SubscriberTarget } from "./target.js";

/** A handler's signature: single messages, or arrays for batch subscribers. */
export type KafkaHandler<T, P = {}, D = {}, B extends boolean = false> = B extends true
  ? (bodies: T[], messages: KafkaMessage<T, P, D>[]) => unknown
  : (body: T, message: KafkaMessage<T, P, D>) => unknown;

/** Options of one handler of a subscriber. */
export interface HandlerOptions<T, P, D> {
  /** Only messages for which it returns true reach this handler; a handler without one is the fallback. */
  readonly filter?: (message: KafkaMessage<T, P, D>) => boolean;
  /** Handler middlewares (innermost; only their `consume` and `publish` hooks apply). */
  readonly middlewares?: readonly KafkaMiddleware[];
  /** Acknowledgement policy of this handler (wins over subscriber, router, broker). */
  readonly ackPolicy?: AckPolicy;
  /** Publishers of this handler's results (besides the subscriber's). */
  readonly publishers?: readonly KafkaPublisher[];
}

/** A registered handler. @internal */
export interface HandlerEntry {
  readonly fn: (...args: unknown[]) => unknown;
  readonly self: { value: unknown };
  readonly options: HandlerOptions<unknown, unknown, unknown>;
}

/** Permissive capabilities for validating router declarations before they meet a driver. */
const ANY_CAPS: DriverCapabilities = {
  name: "any",
  staticMembership: true,
  maxPollInterval: true,
  assignmentStrategies: ["roundrobin", "range", "cooperative-sticky"],
  patternPicksUpNewTopics: true,
  network: true,
};

/** One recorded handler call (see `TestKafkaBroker`). */
export interface HandlerCall {
  /** The body (an array of bodies for batch subscribers). */
  readonly body: unknown;
  /** The message (an array of messages for batch subscribers). */
  readonly message: unknown;
  /** What the handler returned, once it finished. */
  result?: unknown;
  /** What the handler threw, if it did. */
  error?: unknown;
}

/** A declared subscriber: target, options and handlers, independent of any broker. @internal */
export class SubscriberDecl {
  /** Handler calls, recorded while a test broker spies on this subscriber. */
  spy: HandlerCall[] | undefined;
  /** Notified after each recorded call. */
  spyListeners = new Set<() => void>();
  readonly scope: Scope;
  readonly target: SubscriberTarget;
  readonly rawOptions: KafkaSubscriberOptions<AnySchema | undefined, CodecName | Codec<unknown>, object>;
  readonly handlers: HandlerEntry[] = [];
  readonly publishers: KafkaPublisher[] = [];
  /** Set once the subscriber runs in a broker. */
  onHandlersChanged: (() => void) | undefined;
  isRunning: () => boolean = () => false;

  constructor(
    owner: Scope,
    target: SubscriberTarget,
    options: KafkaSubscriberOptions<AnySchema | undefined, CodecName | Codec<unknown>, object>,
  ) {
    this.target = target;
    this.rawOptions = options;
    const scopeOptions: ConstructorParameters<typeof Scope>[0] = {};
    if (options.codec !== undefined) Object.assign(scopeOptions, { codec: options.codec });
    if (options.decoder !== undefined) Object.assign(scopeOptions, { decoder: options.decoder });
    if (options.ackPolicy !== undefined) Object.assign(scopeOptions, { ackPolicy: options.ackPolicy });
    if (options.middlewares !== undefined) Object.assign(scopeOptions, { middlewares: options.middlewares });
    this.scope = new Scope(scopeOptions, owner);
  }

  /** Validates options against a driver's capabilities (permissive when none yet). */
  resolve(caps: DriverCapabilities = ANY_CAPS): ResolvedSubscriberOptions {
    return resolveSubscriberOptions(this.rawOptions, caps);
  }

  addHandler(fn: unknown, self: { value: unknown }, options: HandlerOptions<unknown, unknown, unknown> = {}): void {
    if (typeof fn !== "function") throw new SetupError("handler", "expected a function");
    if (this.isRunning()) throw new StateError("cannot add a handler to a running subscriber; stop it first");
    if (options.filter !== undefined && typeof options.filter !== "function") {
      throw new SetupError("filter", "expected a function (message) => boolean");
    }
    checkAckPolicy(options.ackPolicy);
    if (this.rawOptions.batch && this.handlers.length > 0) {
      throw new SetupError("handler", "a batch subscriber has exactly one handler");
    }
    if (this.rawOptions.batch && options.filter) throw new SetupError("filter", "batch subscribers do not filter");
    if (!options.filter && this.handlers.some((h) => !h.options.filter)) {
      throw new SetupError("filter", "a subscriber has at most one handler without a filter (the fallback)");
    }
    this.handlers.push({ fn: fn as (...args: unknown[]) => unknown, self, options });
    this.onHandlersChanged?.();
  }
}

/** Options of `KafkaSubscriber.publisher()`. */
export type SubscriberPublisherOptions = KafkaPublisherOptions;

/** The publisher factory a facade uses for `.publisher(topic)`. @internal */
export type PublisherFactory = (topic: string, options?: KafkaPublisherOptions) => KafkaPublisher;
