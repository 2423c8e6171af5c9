import {
  type AnySchema,
  type Codec,
  DecodeError,
  isFastStreamError,
  type Logger,
  MessageError,
  SetupError,
  StateError,
  ValidationError,
  validate,
} from "@faststream/core";
import type {
  BatchControl,
  ConsumerCallbacks,
  DriverConsumer,
  KafkaDriver,
  RawBatch,
  RawRecord,
  TopicPartition,
} from "./driver.js";
import { KafkaMessage } from "./message.js";
import type { KafkaPublisherOptions, ResolvedSubscriberOptions } from "./options.js";
import { type KafkaPublisher, publishersOf } from "./publisher.js";

/** A message handler: gets the typed body and the message; its return value is published. */
export type KafkaHandler<T> = (body: T, message: KafkaMessage<T>) => unknown;

/**
 * A subscriber: topics plus consumer settings, with one or more handlers.
 * Use it as a TC39 method decorator (`@broker.subscriber(...)`) or call `handle(fn)`.
 */
export interface KafkaSubscriber<T> {
  /** Registers a decorated method as this subscriber's handler. */
  (method: (body: T, message: KafkaMessage<T>) => unknown, context: ClassMethodDecoratorContext): void;
  /** Registers `handler`; returns the subscriber for chaining. */
  handle(handler: KafkaHandler<T>): KafkaSubscriber<T>;
  /** Publishes every handler result to `topic` (or through an existing publisher). */
  publisher(target: string | KafkaPublisher, options?: KafkaPublisherOptions): KafkaSubscriber<T>;
  /** Subscribed topics. */
  readonly topics: readonly string[];
  /** Consumer group (`undefined`: an ephemeral group per subscriber). */
  readonly groupId: string | undefined;
}

/** What a subscriber needs from its broker. @internal */
export interface SubscriberHost {
  readonly logger: Logger;
  readonly clientId: string;
  readonly startTimeoutMs: number;
  readonly gracefulTimeoutMs: number;
  publisher(topic: string, options?: KafkaPublisherOptions): KafkaPublisher;
  publishReply(body: unknown, topic: string, correlationId: string): Promise<unknown>;
}

interface HandlerEntry {
  readonly fn: (...args: unknown[]) => unknown;
  readonly self: { value: unknown };
  publishers: readonly KafkaPublisher[];
}

/** Subscriber state and message processing. @internal */
export class SubscriberRuntime implements ConsumerCallbacks {
  readonly options: ResolvedSubscriberOptions;
  readonly groupId: string;
  readonly #host: SubscriberHost;
  readonly #logger: Logger;
  readonly #schema: AnySchema | undefined;
  readonly #codec: Codec<unknown>;
  readonly #handlers: HandlerEntry[] = [];
  readonly #publishers: KafkaPublisher[] = [];
  #consumer: DriverConsumer | undefined;
  #assigned: (() => void) | undefined;
  #crashed: Error | undefined;
  #assignment = new Set<string>();

  constructor(host: SubscriberHost, options: ResolvedSubscriberOptions) {
    this.#host = host;
    this.options = options;
    this.groupId = options.groupId ?? `${host.clientId}-${crypto.randomUUID()}`;
    this.#schema = options.schema;
    this.#codec = options.codec;
    this.#logger = host.logger;
  }

  /** Partitions this member currently owns, as `topic[partition]`. */
  get assignment(): readonly string[] {
    return [...this.#assignment];
  }

  get running(): boolean {
    return this.#consumer !== undefined;
  }

  addHandler(fn: (...args: unknown[]) => unknown, self: { value: unknown }): void {
    if (typeof fn !== "function") throw new SetupError("handler", "expected a function");
    if (this.#handlers.length > 0) {
      throw new SetupError("handler", `subscriber on ${this.options.topics.join(", ")} already has a handler`);
    }
    this.#handlers.push({ fn, self, publishers: [] });
  }

  addPublisher(publisher: KafkaPublisher): void {
    this.#publishers.push(publisher);
  }

  /** Connects the consumer and waits until it joined its group (or the start timeout passed). */
  async start(driver: KafkaDriver): Promise<void> {
    if (this.#consumer) return;
    if (this.#handlers.length === 0) {
      throw new SetupError("handler", `subscriber on ${this.options.topics.join(", ")} has no handler`);
    }
    for (const h of this.#handlers) h.publishers = [...publishersOf(h.fn), ...this.#publishers];
    const joined = new Promise<void>((resolve) => {
      this.#assigned = resolve;
    });
    this.#crashed = undefined;
    const consumer = driver.createConsumer(
      { ...this.options.consumer, groupId: this.groupId, topics: this.options.topics },
      this,
    );
    this.#consumer = consumer;
    try {
      await consumer.start();
    } catch (err) {
      this.#consumer = undefined;
      throw err;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#host.startTimeoutMs);
    });
    const outcome = await Promise.race([joined, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.#logger.warn(
        { group: this.groupId, topics: this.options.topics },
        `subscriber has not joined its group after ${this.#host.startTimeoutMs} ms; continuing in the background`,
      );
    }
  }

  /** Stops fetching, lets the message in flight finish (up to the graceful timeout), leaves the group. */
  async stop(): Promise<void> {
    // A start() still waiting for the group join stops waiting.
    this.#assigned?.();
    this.#assigned = undefined;
    const consumer = this.#consumer;
    if (!consumer) return;
    this.#consumer = undefined;
    let timer: NodeJS.Timeout | undefined;
    const graceful = this.#host.gracefulTimeoutMs;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceful);
    });
    const outcome = await Promise.race([consumer.stop().then(() => "stopped" as const), timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.#logger.error(
        { group: this.groupId, topics: this.options.topics },
        `handlers still running after gracefulTimeoutMs (${graceful} ms): their messages are not committed and will be redelivered`,
      );
    }
    this.#assignment.clear();
  }

  onAssigned(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.#assignment.add(`${p.topic}[${p.partition}]`);
    this.#logger.debug(
      { group: this.groupId, partitions: partitions.map((p) => `${p.topic}[${p.partition}]`) },
      "partitions assigned",
    );
    this.#assigned?.();
    this.#assigned = undefined;
  }

  onRevoked(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.#assignment.delete(`${p.topic}[${p.partition}]`);
    this.#logger.debug(
      { group: this.groupId, partitions: partitions.map((p) => `${p.topic}[${p.partition}]`) },
      "partitions revoked",
    );
  }

  onCrash(error: Error): void {
    this.#crashed = error;
    this.#logger.error({ group: this.groupId, topics: this.options.topics, err: error }, "consumer crashed");
  }

  /** The error that stopped the consumer, if any. */
  get crashed(): Error | undefined {
    return this.#crashed;
  }

  async onBatch(batch: RawBatch, control: BatchControl): Promise<void> {
    for (const record of batch.messages) {
      if (!control.isRunning() || control.isStale()) return;
      await this.#process(batch, record);
      control.resolveOffset(record.offset);
    }
  }

  async #process(batch: RawBatch, record: RawRecord): Promise<void> {
    const message = new KafkaMessage<unknown>(batch, record, this.groupId, this.#logger);
    const handler = this.#handlers[0]!;
    try {
      let body = this.#codec.decode(record.value, message.contentType, message);
      if (this.#schema) {
        const checked = validate(this.#schema, body);
        const result = checked instanceof Promise ? await checked : checked;
        if (!result.ok) throw new ValidationError(message, result.issues);
        body = result.value;
      }
      message.body = body;
      const returned = await handler.fn.call(handler.self.value, body, message);
      if (returned !== undefined && returned !== null) await this.#publishResult(returned, message, handler);
    } catch (err) {
      this.#report(err, message);
    }
  }

  async #publishResult(result: unknown, message: KafkaMessage<unknown>, handler: HandlerEntry): Promise<void> {
    const correlationId = message.correlationId;
    const replyTo = message.replyTo;
    const pending: Promise<unknown>[] = [];
    for (const p of handler.publishers) pending.push(p.publish(result, { correlationId }));
    if (replyTo) pending.push(this.#host.publishReply(result, replyTo, correlationId));
    if (pending.length === 1) await pending[0];
    else if (pending.length > 1) await Promise.all(pending);
  }

  #report(err: unknown, message: KafkaMessage<unknown>): void {
    if (err instanceof ValidationError || err instanceof DecodeError) {
      message.logger.error({ code: err.code }, err.message);
      return;
    }
    const what = isFastStreamError(err) && !(err instanceof MessageError) ? err.message : "handler failed";
    message.logger.error({ err }, `${what}; message skipped (offset committed)`);
  }
}

/** Wraps a runtime in the callable public subscriber object. @internal */
export function createSubscriberFacade<T>(runtime: SubscriberRuntime, host: SubscriberHost): KafkaSubscriber<T> {
  const decorate = (
    method: (body: T, message: KafkaMessage<T>) => unknown,
    context: ClassMethodDecoratorContext,
  ): void => {
    if (context?.kind !== "method") {
      throw new SetupError("decorator", `a subscriber decorates methods, not ${String(context?.kind)}s`);
    }
    if (runtime.running) throw new StateError("cannot add a handler to a running subscriber");
    const self: { value: unknown } = { value: undefined };
    // Instance methods run with the most recently constructed instance as `this`; static
    // methods with the class.
    context.addInitializer(function (this: unknown) {
      self.value = this;
    });
    runtime.addHandler(method as (...args: unknown[]) => unknown, self);
  };
  const facade: KafkaSubscriber<T> = Object.assign(decorate, {
    topics: runtime.options.topics,
    groupId: runtime.options.groupId,
    handle(handler: KafkaHandler<T>): KafkaSubscriber<T> {
      runtime.addHandler(handler as (...args: unknown[]) => unknown, { value: undefined });
      return facade;
    },
    publisher(target: string | KafkaPublisher, options?: KafkaPublisherOptions): KafkaSubscriber<T> {
      runtime.addPublisher(typeof target === "string" ? host.publisher(target, options) : target);
      return facade;
    },
  });
  return facade;
}
