import { randomUUID } from "node:crypto";
import { type Codec, isFastStreamError, PublishError, resolveCodec, StateError, wrapPublish } from "@faststream/core";
import type { OutgoingRecord, RecordMetadata } from "./driver.js";
import { encodeHeaders, HeaderName } from "./headers.js";
import {
  checkPublishOptions,
  type KafkaPublishCallOptions,
  type KafkaPublishOptions,
  type KafkaPublisherOptions,
} from "./options.js";
import type { KafkaMessage } from "./message.js";
import type { KafkaRequestOptions } from "./request.js";
import type { KafkaMiddleware, Scope } from "./scope.js";

/** Sends records for publishers; implemented by the broker. @internal */
export interface RecordSink {
  /** Sends one record through `middlewares`' publish hooks. */
  sendThrough(record: OutgoingRecord, body: unknown, middlewares: readonly KafkaMiddleware[]): Promise<RecordMetadata>;
  /** Sends one record through `middlewares`' publish hooks without waiting for its acknowledgement. */
  sendUnconfirmed(record: OutgoingRecord, body: unknown, middlewares: readonly KafkaMiddleware[]): Promise<undefined>;
  /** True when the broker writes only the headers request/reply needs (`frameworkHeaders: "minimal"`). */
  readonly minimalHeaders: boolean;
  /** Sends a request and resolves with the reply. */
  request(body: unknown, topic: string, options?: KafkaRequestOptions): Promise<KafkaMessage<unknown>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a decorated function may take any arguments
type AnyFunction = (...args: any[]) => unknown;

/**
 * A publisher: a topic plus default options. Call `publish(body)` directly, or put it on a
 * handler (as a TC39 method decorator or by wrapping a function) so the handler's return value
 * is published through it. One publisher may serve many handlers.
 *
 * @example
 * const out = broker.publisher("out-topic");
 * await out.publish({ hello: "world" }, { key: "k1" });
 */
export interface KafkaPublisher {
  /** Attaches this publisher to a handler (method decorator or function wrapper); returns it unchanged. */
  <F extends AnyFunction>(handler: F, context?: ClassMethodDecoratorContext): F;
  /** Destination topic (with router prefixes once included). */
  readonly topic: string;
  /** Default options of every publish. */
  readonly options: KafkaPublisherOptions;
  /**
   * Publishes `body` with this publisher's defaults, overridden by `options`; resolves with
   * where it landed, or with `noConfirm: true` once it is accepted (see `broker.flush()`).
   */
  publish(body: unknown, options: KafkaPublishCallOptions & { readonly noConfirm: true }): Promise<undefined>;
  publish(body: unknown, options?: KafkaPublishCallOptions & { readonly noConfirm?: false }): Promise<RecordMetadata>;
  publish(body: unknown, options?: KafkaPublishCallOptions): Promise<RecordMetadata | undefined>;
  /** Publishes a request with this publisher's defaults and resolves with the reply message. */
  request(body: unknown, options?: KafkaRequestOptions): Promise<KafkaMessage<unknown>>;
  /**
   * Builds the record a publish would send (no I/O). `checked`: the options were built by the
   * framework, and are not checked again. @internal
   */
  prepare(body: unknown, options?: KafkaPublishOptions, checked?: boolean): OutgoingRecord;
}

const handlerPublishers = new WeakMap<object, KafkaPublisher[]>();

/** Publishers attached to a handler function through a publisher decorator. @internal */
export function publishersOf(handler: object): readonly KafkaPublisher[] {
  return handlerPublishers.get(handler) ?? [];
}

/**
 * The error a failed publish rejects with: framework errors as they are, anything a client
 * threw wrapped in a {@link PublishError} naming the topic(s). Shared by the broker and drivers
 * that settle records one by one. @internal
 */
export function toPublishError(topics: string, err: unknown): Error {
  if (isFastStreamError(err)) return err;
  return new PublishError(topics, err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * Builds the record for one publish. `minimal` (`frameworkHeaders: "minimal"`): no
 * `content-type`, and a `correlation_id` only when one is given. @internal
 */
export function buildRecord(
  topic: string,
  body: unknown,
  options: KafkaPublishOptions | undefined,
  defaults: KafkaPublishOptions | undefined,
  codec: Codec<unknown>,
  minimal = false,
): OutgoingRecord {
  const encoded = codec.encode(body);
  const headers: Record<string, Buffer | string> = {};
  encodeHeaders(defaults?.headers, headers);
  encodeHeaders(options?.headers, headers);
  if (encoded.contentType !== undefined && !minimal) headers[HeaderName.contentType] = encoded.contentType;
  const correlationId = options?.correlationId ?? defaults?.correlationId ?? (minimal ? undefined : randomUUID());
  if (correlationId !== undefined) headers[HeaderName.correlationId] = correlationId;
  const replyTo = options?.replyTo ?? defaults?.replyTo;
  if (replyTo !== undefined) headers[HeaderName.replyTo] = replyTo;
  const key = options?.key !== undefined ? options.key : (defaults?.key ?? null);
  const partition = options?.partition ?? defaults?.partition;
  const ts = options?.timestamp ?? defaults?.timestamp;
  const record: {
    topic: string;
    key: Buffer | string | null;
    value: Buffer | null;
    headers: Record<string, Buffer | string>;
    partition?: number;
    timestamp?: string;
  } = { topic, key, value: encoded.value, headers };
  if (partition !== undefined) record.partition = partition;
  if (ts !== undefined) record.timestamp = String(ts instanceof Date ? ts.getTime() : ts);
  return record;
}

/** Where a publisher lives: its scope (prefix, middlewares, codec) and, once bound, its sink. @internal */
export interface PublisherBinding {
  readonly scope: Scope;
  sink(): RecordSink | undefined;
}

/** Creates a publisher. @internal */
export function createPublisher(
  binding: PublisherBinding,
  topic: string,
  options: KafkaPublisherOptions = {},
): KafkaPublisher {
  checkPublishOptions(options, "publisher");
  const ownCodec = options.codec === undefined ? undefined : resolveCodec(options.codec);
  const attach = <F extends AnyFunction>(handler: F, context?: ClassMethodDecoratorContext): F => {
    if (context !== undefined && context.kind !== "method") {
      throw new TypeError(`a publisher decorates methods, not ${String(context.kind)}s`);
    }
    const list = handlerPublishers.get(handler);
    if (list) list.push(publisher);
    else handlerPublishers.set(handler, [publisher]);
    return handler;
  };
  const prepare = (body: unknown, publishOptions?: KafkaPublishOptions, checked = false): OutgoingRecord => {
    if (publishOptions && !checked) checkPublishOptions(publishOptions, "record");
    const codec = publishOptions?.codec
      ? resolveCodec(publishOptions.codec)
      : (ownCodec ?? binding.scope.resolveCodec());
    const minimal = binding.sink()?.minimalHeaders ?? false;
    return buildRecord(binding.scope.fullPrefix() + topic, body, publishOptions, options, codec, minimal);
  };
  const publisher: KafkaPublisher = Object.assign(attach, {
    topic,
    options,
    prepare,
    publish: (async (body: unknown, publishOptions?: KafkaPublishCallOptions): Promise<RecordMetadata | undefined> => {
      const sink = binding.sink();
      if (!sink) throw new StateError(`publisher for "${topic}" belongs to a router that is not included in a broker`);
      if (publishOptions) checkPublishOptions(publishOptions, "call");
      const record = prepare(body, publishOptions, true);
      if (publishOptions?.noConfirm === true) return sink.sendUnconfirmed(record, body, binding.scope.chain());
      return sink.sendThrough(record, body, binding.scope.chain());
    }) as KafkaPublisher["publish"],
    async request(body: unknown, requestOptions: KafkaRequestOptions = {}): Promise<KafkaMessage<unknown>> {
      const sink = binding.sink();
      if (!sink) throw new StateError(`publisher for "${topic}" belongs to a router that is not included in a broker`);
      const { description: _description, batch: _batch, ...defaults } = options;
      return sink.request(body, binding.scope.fullPrefix() + topic, {
        ...defaults,
        ...requestOptions,
      } as KafkaRequestOptions);
    },
  });
  Object.defineProperty(publisher, "topic", { get: () => binding.scope.fullPrefix() + topic, enumerable: true });
  return publisher;
}

/** Publishes through the middlewares' publish hooks. @internal */
export function sendWithHooks<T>(
  middlewares: readonly KafkaMiddleware[],
  record: OutgoingRecord,
  body: unknown,
  send: (record: OutgoingRecord) => Promise<T>,
): Promise<T> {
  if (middlewares.length === 0) return send(record);
  return wrapPublish(middlewares, { topic: record.topic, body, headers: record.headers }, () =>
    send(record),
  ) as Promise<T>;
}
