import { childLogger, type Logger } from "@faststream/core";
import type { RawBatch, RawRecord } from "./driver.js";
import { decodeHeaders, HeaderName, headerText, type KafkaHeaders } from "./headers.js";

/**
 * A received Kafka message, handed to handlers next to the decoded body.
 * Header decoding and the per-message logger are computed on first access.
 */
export class KafkaMessage<T = unknown> {
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
  readonly #baseLogger: Logger;
  #headers: KafkaHeaders | undefined;
  #logger: Logger | undefined;

  /** @internal built by the subscriber. */
  constructor(batch: RawBatch, record: RawRecord, groupId: string, logger: Logger) {
    this.topic = batch.topic;
    this.partition = batch.partition;
    this.offset = Number(record.offset);
    this.groupId = groupId;
    this.#record = record;
    this.#baseLogger = logger;
    this.body = undefined as T;
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
    return headerText(this.#record.headers, HeaderName.correlationId) ?? this.messageId;
  }

  /** The `reply_to` header: where a reply should go. */
  get replyTo(): string | undefined {
    return headerText(this.#record.headers, HeaderName.replyTo);
  }

  /** The `content-type` header. */
  get contentType(): string | undefined {
    return headerText(this.#record.headers, HeaderName.contentType);
  }

  /** A logger whose lines name this message's topic, partition, offset and group. */
  get logger(): Logger {
    this.#logger ??= childLogger(this.#baseLogger, {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      group: this.groupId,
    });
    return this.#logger;
  }
}
