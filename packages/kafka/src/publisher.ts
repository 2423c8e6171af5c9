import { randomUUID } from "node:crypto";
import { type Codec, resolveCodec } from "@faststream/core";
import type { OutgoingRecord, RecordMetadata } from "./driver.js";
import { encodeHeaders, HeaderName } from "./headers.js";
import { checkPublishOptions, type KafkaPublishOptions, type KafkaPublisherOptions } from "./options.js";

/** Sends records; implemented by the broker. @internal */
export interface RecordSink {
  send(record: OutgoingRecord): Promise<RecordMetadata>;
}

// biome-ignore lint/suspicious/noExplicitAny: a decorated function may take any arguments
type AnyFunction = (...args: any[]) => unknown;

/**
 * A publisher: a topic plus default options. Call `publish(body)` directly, or use it on a
 * handler (as a TC39 method decorator or by wrapping a function) so the handler's return value
 * is published through it.
 *
 * @example
 * const out = broker.publisher("out-topic");
 * await out.publish({ hello: "world" }, { key: "k1" });
 */
export interface KafkaPublisher {
  /** Attaches this publisher to a handler (method decorator or function wrapper); returns it unchanged. */
  <F extends AnyFunction>(handler: F, context?: ClassMethodDecoratorContext): F;
  /** Destination topic. */
  readonly topic: string;
  /** Default options of every publish. */
  readonly options: KafkaPublisherOptions;
  /** Publishes `body` with this publisher's defaults, overridden by `options`. */
  publish(body: unknown, options?: KafkaPublishOptions): Promise<RecordMetadata>;
}

const handlerPublishers = new WeakMap<object, KafkaPublisher[]>();

/** Publishers attached to a handler function through a publisher decorator. @internal */
export function publishersOf(handler: object): readonly KafkaPublisher[] {
  return handlerPublishers.get(handler) ?? [];
}

/** Builds the record for one publish. @internal */
export function buildRecord(
  topic: string,
  body: unknown,
  options: KafkaPublishOptions | undefined,
  defaults: KafkaPublishOptions | undefined,
  codec: Codec<unknown>,
): OutgoingRecord {
  const encoded = codec.encode(body);
  const headers: Record<string, Buffer | string> = {};
  encodeHeaders(defaults?.headers, headers);
  encodeHeaders(options?.headers, headers);
  if (encoded.contentType !== undefined) headers[HeaderName.contentType] = encoded.contentType;
  headers[HeaderName.correlationId] = options?.correlationId ?? defaults?.correlationId ?? randomUUID();
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

/** Creates a publisher bound to a record sink. @internal */
export function createPublisher(sink: RecordSink, topic: string, options: KafkaPublisherOptions = {}): KafkaPublisher {
  checkPublishOptions(options, true);
  const defaultCodec = resolveCodec(options.codec);
  const attach = <F extends AnyFunction>(handler: F, context?: ClassMethodDecoratorContext): F => {
    if (context !== undefined && context.kind !== "method") {
      throw new TypeError(`a publisher decorates methods, not ${String(context.kind)}s`);
    }
    const list = handlerPublishers.get(handler);
    if (list) list.push(publisher);
    else handlerPublishers.set(handler, [publisher]);
    return handler;
  };
  const publisher = Object.assign(attach, {
    topic,
    options,
    async publish(body: unknown, publishOptions?: KafkaPublishOptions): Promise<RecordMetadata> {
      if (publishOptions) checkPublishOptions(publishOptions, false);
      const codec = publishOptions?.codec ? resolveCodec(publishOptions.codec) : defaultCodec;
      return sink.send(buildRecord(topic, body, publishOptions, options, codec));
    },
  }) as KafkaPublisher;
  return publisher;
}
