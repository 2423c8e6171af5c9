import { type ContextRegistry, childLogger, type Logger, type Settlement } from "@faststream/core";
import type { RawRecord } from "./driver.js";
import { decodeHeaders, HeaderName, headerText, type KafkaHeaders } from "./headers.js";

/** Where a message sits and what it needs from its subscriber. @internal */
export interface MessageOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly groupId: string;
  readonly logger: Logger;
  readonly context: ContextRegistry;
  readonly params: Record<string, string | undefined>;
  /** Called once, with the first settlement. */
  readonly settle: (message: KafkaMessage<unknown>, settlement: Settlement) => void;
}

/**
 * A received Kafka message, handed to handlers next to the decoded body. `P` types the path
 * parameters of a `{name}` topic template, `D` the subscriber's per-message dependencies.
 * Header decoding and the per-message logger are computed on first access.
 */
export class KafkaMessage<T = unknown, P = {}, D = {}> {
  /** The decoded (and validated) body. */
  body: T;
  /** Topic the message was read from. */
  readonly topic: string;
  /** Partition the message was read from. */
  readonly partition: number;
  /** Offset within the partition. */
  readonly offset: number;
  /** Consumer group that received it (an ephemeral one when the subscriber has no `groupId`). */
  readonly groupId: string;
  readonly #record: RawRecord;
  readonly #origin: MessageOrigin;
  #headers: KafkaHeaders | undefined;
  #logger: Logger | undefined;
  #settled: Settlement | undefined;
  #deps: D | undefined;

  /** @internal built by the subscriber. */
  constructor(origin: MessageOrigin, record: RawRecord) {
    this.topic = origin.topic;
    this.partition = origin.partition;
    this.offset = Number(record.offset);
    this.groupId = origin.groupId;
    this.#record = record;
    this.#origin = origin;
    this.body = undefined as T;
  }

  /** Values of the subscriber's `dependencies`, computed for this message. */
  get deps(): D {
    // Made on first use: most subscribers have no dependencies.
    this.#deps ??= {} as D;
    return this.#deps;
  }

  set deps(values: D) {
    this.#deps = values;
  }

  /** Path parameters of a `{name}` topic template (or named groups of a RegExp). */
  get params(): P {
    return this.#origin.params as P;
  }

  /** App-scoped values registered with `broker.context.set(...)`. */
  get context(): ContextRegistry {
    return this.#origin.context;
  }

  /** The body exactly as received (`null` for a tombstone). */
  get rawBody(): Buffer | null {
    return this.#record.value;
  }

  /** The record key as bytes (`null` when absent). */
  get key(): Buffer | null {
    return this.#record.key;
  }

  /** The record key as UTF-8 text (`undefined` when absent). */
  get keyText(): string | undefined {
    return this.#record.key?.toString("utf8");
  }

  /** Headers: UTF-8 values as strings, binary values as Buffers. */
  get headers(): KafkaHeaders {
    this.#headers ??= decodeHeaders(this.#record.headers);
    return this.#headers;
  }

  /** Record timestamp. */
  get timestamp(): Date {
    return new Date(Number(this.#record.timestamp));
  }

  /** Stable id of this message: `topic-partition-offset`. */
  get messageId(): string {
    return `${this.topic}-${this.partition}-${this.offset}`;
  }

  /** The `correlation_id` header, or the message id when the producer set none. */
  get correlationId(): string {
    return this.correlationHeader ?? this.messageId;
  }

  /** @internal the `correlation_id` header alone (`undefined` when the producer set none). */
  get correlationHeader(): string | undefined {
    return headerText(this.#record.headers, HeaderName.correlationId);
  }

  /** The `reply_to` header: where a reply should go. */
  get replyTo(): string | undefined {
    return headerText(this.#record.headers, HeaderName.replyTo);
  }

  /** The `content-type` header. */
  get contentType(): string | undefined {
    return headerText(this.#record.headers, HeaderName.contentType);
  }

  /** A logger whose lines name this message's topic, partition, offset, group and id. */
  get logger(): Logger {
    this.#logger ??= childLogger(this.#origin.logger, {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      group: this.groupId,
      messageId: this.messageId,
    });
    return this.#logger;
  }

  /** How the message was settled so far (`undefined`: not yet). */
  get settlement(): Settlement | undefined {
    return this.#settled;
  }

  /** Acknowledges: its offset may be committed. Returns false if it was already settled. */
  ack(): boolean {
    return this.#settle("ack");
  }

  /** Negatively acknowledges: the message is fetched again. Returns false if already settled. */
  nack(): boolean {
    return this.#settle("nack");
  }

  /** Rejects: the message is not fetched again. Returns false if already settled. */
  reject(): boolean {
    return this.#settle("reject");
  }

  #settle(settlement: Settlement): boolean {
    if (this.#settled !== undefined) return false;
    this.#settled = settlement;
    this.#origin.settle(this as KafkaMessage<unknown>, settlement);
    return true;
  }
}
