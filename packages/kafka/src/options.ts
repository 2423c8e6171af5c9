import type { ScopeOptions } from "./scope.js";
import { checkSecurity, type SecurityOptions } from "./security.js";
import {
  type Codec,
  type CodecName,
  isLogLevel,
  type Logger,
  type LogLevel,
  resolveCodec,
  SetupError,
} from "@faststream/core";
import type { HeadersInit } from "./headers.js";
import { checkTopicName } from "./target.js";

/** Options of `new KafkaBroker(bootstrapServers, options)`. */
export interface KafkaBrokerOptions {
  /** Client id sent to Kafka. Default `faststream`. */
  readonly clientId?: string;
  /** Logger (pino-compatible). Default: console. */
  readonly logger?: Logger;
  /** Lowest level logged. Default `info`. */
  readonly logLevel?: LogLevel;
  /** How long `stop()` waits for in-flight handlers before giving up on them. Default 30 000 ms. */
  readonly gracefulTimeoutMs?: number;
  /** TCP connect timeout. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Request timeout. Default 30 000 ms. */
  readonly requestTimeoutMs?: number;
  /** How long `start()` waits for each subscriber to join its group. Default 60 000 ms. */
  readonly startTimeoutMs?: number;
  /** Broker-wide middlewares (outermost). More can be added with `broker.use()`. */
  readonly middlewares?: ScopeOptions["middlewares"];
  /** Default body codec. */
  readonly codec?: ScopeOptions["codec"];
  /** Default custom decoding step. */
  readonly decoder?: ScopeOptions["decoder"];
  /** Default acknowledgement policy (`reject_on_error` when unset). */
  readonly ackPolicy?: ScopeOptions["ackPolicy"];
  /**
   * Topic replies to `request()` come back on. Every instance reads it through a group of its
   * own and keeps only its replies. Default `faststream.replies.<clientId>`.
   */
  readonly replyTopic?: string;
  /**
   * Fetch max wait of the reply reader, in ms: how long a fetch that finds no reply may wait
   * on the broker. Brokers that answer such a fetch only when the wait ends (some test
   * clusters) add up to this much to every `request()`. Default 100.
   */
  readonly replyMaxWaitMs?: number;
  /** TLS and SASL (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER), mapped to each client. */
  readonly security?: SecurityOptions;
  /**
   * Largest record a publish may send, in bytes (key, value, header names and values). A
   * bigger one fails its own publish with a `PublishError` before it reaches the client, on
   * every adapter alike. Default 1,048,576: Kafka brokers' default record limit
   * (`message.max.bytes`). Raise it together with the topic's `max.message.bytes`.
   */
  readonly maxRecordBytes?: number;
  /**
   * Which of its own headers FastStream writes on the records it publishes. `"full"` (default):
   * `content-type` and `correlation_id` on every record, as Python FastStream does (a new UUID
   * when no correlation id is given or carried over from the consumed message). `"minimal"`:
   * only what request/reply needs (`correlation_id` and `reply_to` on requests and their
   * replies), a correlation id given in the publish options or carried by the consumed message,
   * and the user's own headers; no `content-type`. Each header costs the clients real work per
   * record (see BENCHMARKS.md). Receivers with the `auto` codec then infer the format (JSON,
   * else UTF-8 text, else bytes): JSON round-trips unchanged, but text that parses as JSON
   * arrives as that JSON value and UTF-8 bytes as text, so give such subscribers an explicit
   * `codec`. A message without `correlation_id` reports its message id as `correlationId`.
   */
  readonly frameworkHeaders?: FrameworkHeaders;
  /**
   * Most `noConfirm` publishes not yet acknowledged before such a publish's promise waits for
   * room (see {@link KafkaPublishCallOptions.noConfirm}). Default 10,000.
   */
  readonly maxUnconfirmed?: number;
}

/** Which of its own headers FastStream writes on published records (see {@link KafkaBrokerOptions.frameworkHeaders}). */
export type FrameworkHeaders = "full" | "minimal";

/** Options of one publish. */
export interface KafkaPublishOptions {
  /** Record key: same key, same partition. */
  readonly key?: string | Buffer | null;
  /** Explicit partition (overrides the key's partition). */
  readonly partition?: number;
  /** Extra headers; values may be text or bytes. */
  readonly headers?: HeadersInit;
  /** Correlation id (header `correlation_id`). Default: a new UUID (none with `frameworkHeaders: "minimal"`). */
  readonly correlationId?: string;
  /** Topic the receiver should reply to (header `reply_to`). */
  readonly replyTo?: string;
  /** Record timestamp. Default: now (set by the client). */
  readonly timestamp?: Date | number;
  /** How the body is encoded. Default `auto`: strings as text, bytes as is, everything else JSON. */
  readonly codec?: CodecName | Codec<unknown>;
}

/** Options of `broker.publisher(topic, options)`: defaults for every publish through it. */
export interface KafkaPublisherOptions extends KafkaPublishOptions {
  /** Human description (shown in generated docs). */
  readonly description?: string;
  /**
   * Publish an array that a handler returns as one message per element, in order, instead of
   * one message holding the array (what a batch subscriber usually wants). An element may be a
   * `KafkaResponse` to set its own key, headers or partition. Other results, `publish()` calls
   * and `reply_to` replies are unaffected. Default false.
   */
  readonly batch?: boolean;
}

const BROKER_KEYS = new Set([
  "clientId",
  "logger",
  "logLevel",
  "gracefulTimeoutMs",
  "connectTimeoutMs",
  "requestTimeoutMs",
  "maxRecordBytes",
  "startTimeoutMs",
  "middlewares",
  "codec",
  "decoder",
  "ackPolicy",
  "replyTopic",
  "replyMaxWaitMs",
  "security",
  "frameworkHeaders",
  "maxUnconfirmed",
]);
/**
 * Options of a `publish()` call (`broker.publish`, `publisher.publish`): the record's options,
 * and whether the call waits for the broker's acknowledgement.
 */
export interface KafkaPublishCallOptions extends KafkaPublishOptions {
  /**
   * Do not wait for the broker's acknowledgement (Python FastStream's `no_confirm`). The
   * promise resolves (with nothing) once the record is accepted: at once while fewer than
   * `maxUnconfirmed` such publishes are unacknowledged, otherwise once the broker acknowledged
   * a quarter of them, so awaiting each call bounds memory. No promise is kept per record: a
   * failed delivery is logged with its topic and reported by the next `broker.flush()`, which
   * also waits until every unconfirmed publish so far was acknowledged. A publish refused at
   * once (bad options, an oversized record, a broker not connected) still rejects. Order per
   * partition is kept as for confirmed publishes. Default false.
   */
  readonly noConfirm?: boolean;
}

/** Keys of the options of one record (items of `publishBatch`, handler results). */
const PUBLISH_KEYS = new Set(["key", "partition", "headers", "correlationId", "replyTo", "timestamp", "codec"]);
/** Keys of the options of a `publish()` call. */
const PUBLISH_CALL_KEYS = new Set([...PUBLISH_KEYS, "noConfirm"]);
const PUBLISHER_KEYS = new Set([...PUBLISH_KEYS, "description", "batch"]);

/** Which options are checked: a publisher's defaults, one record's, or a `publish()` call's. */
export type PublishOptionsKind = "publisher" | "record" | "call";

const KEYS_OF: Readonly<Record<PublishOptionsKind, ReadonlySet<string>>> = {
  publisher: PUBLISHER_KEYS,
  record: PUBLISH_KEYS,
  call: PUBLISH_CALL_KEYS,
};

export function rejectUnknown(options: object, allowed: ReadonlySet<string>, where: string): void {
  // for...in with an own-property check: no array of keys per call (publish options are checked per publish).
  for (const key in options) {
    if (Object.hasOwn(options, key) && !allowed.has(key)) {
      throw new SetupError(key, `unknown ${where} option; expected one of ${[...allowed].join(", ")}`);
    }
  }
}

/** Checks a millisecond/count option; returns the default when unset. */
export function positiveInt(value: unknown, option: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new SetupError(option, `expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Normalised broker settings. */
export interface ResolvedBrokerOptions {
  readonly brokers: string[];
  readonly clientId: string;
  readonly logger: Logger | undefined;
  readonly logLevel: LogLevel;
  readonly gracefulTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly replyTopic: string;
  readonly replyMaxWaitMs: number;
  readonly security: SecurityOptions | undefined;
  readonly maxRecordBytes: number;
  readonly frameworkHeaders: FrameworkHeaders;
  readonly maxUnconfirmed: number;
}

/** Default of {@link KafkaBrokerOptions.maxUnconfirmed}. */
export const DEFAULT_MAX_UNCONFIRMED = 10_000;

/** Kafka brokers' default record limit (`message.max.bytes`, 1 MiB). */
export const DEFAULT_MAX_RECORD_BYTES = 1_048_576;

/** Validates and normalises broker options (SetupError names the bad option). */
export function resolveBrokerOptions(servers: unknown, options: KafkaBrokerOptions): ResolvedBrokerOptions {
  const list = typeof servers === "string" ? servers.split(",") : servers;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SetupError("bootstrapServers", "expected a host:port string or a non-empty array of them");
  }
  const brokers = list.map((s: unknown) => (typeof s === "string" ? s.trim() : ""));
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
      throw new SetupError("bootstrapServers", `"${b}" is not host:port`);
    }
  }
  rejectUnknown(options, BROKER_KEYS, "broker");
  if (options.logLevel !== undefined && !isLogLevel(options.logLevel)) {
    throw new SetupError(
      "logLevel",
      `expected debug, info, warn, error or silent, got ${JSON.stringify(options.logLevel)}`,
    );
  }
  if (options.clientId !== undefined && (typeof options.clientId !== "string" || !options.clientId)) {
    throw new SetupError("clientId", "expected a non-empty string");
  }
  const frameworkHeaders = options.frameworkHeaders ?? "full";
  if (frameworkHeaders !== "full" && frameworkHeaders !== "minimal") {
    throw new SetupError("frameworkHeaders", `expected "full" or "minimal", got ${JSON.stringify(frameworkHeaders)}`);
  }
  return {
    brokers,
    frameworkHeaders,
    clientId: options.clientId ?? "faststream",
    logger: options.logger,
    logLevel: options.logLevel ?? "info",
    gracefulTimeoutMs: positiveInt(options.gracefulTimeoutMs, "gracefulTimeoutMs", 30_000, 0),
    connectTimeoutMs: positiveInt(options.connectTimeoutMs, "connectTimeoutMs", 10_000),
    requestTimeoutMs: positiveInt(options.requestTimeoutMs, "requestTimeoutMs", 30_000),
    startTimeoutMs: positiveInt(options.startTimeoutMs, "startTimeoutMs", 60_000),
    security: checkSecurity(options.security),
    maxRecordBytes: positiveInt(options.maxRecordBytes, "maxRecordBytes", DEFAULT_MAX_RECORD_BYTES, 1),
    maxUnconfirmed: positiveInt(options.maxUnconfirmed, "maxUnconfirmed", DEFAULT_MAX_UNCONFIRMED, 1),
    replyMaxWaitMs: positiveInt(options.replyMaxWaitMs, "replyMaxWaitMs", 100),
    replyTopic: checkTopic(
      options.replyTopic ?? `faststream.replies.${options.clientId ?? "faststream"}`,
      "replyTopic",
    ),
  };
}

/** Validates publish/publisher options (SetupError names the bad option). */
export function checkPublishOptions(options: KafkaPublisherOptions, kind: PublishOptionsKind): void {
  rejectUnknown(options, KEYS_OF[kind], kind === "publisher" ? "publisher" : "publish");
  const noConfirm = (options as KafkaPublishCallOptions).noConfirm;
  if (noConfirm !== undefined && typeof noConfirm !== "boolean") {
    throw new SetupError("noConfirm", `expected true or false, got ${JSON.stringify(noConfirm)}`);
  }
  if (options.batch !== undefined && typeof options.batch !== "boolean") {
    throw new SetupError("batch", `expected true or false, got ${JSON.stringify(options.batch)}`);
  }
  if (options.partition !== undefined) positiveInt(options.partition, "partition", 0, 0);
  if (
    options.key !== undefined &&
    options.key !== null &&
    typeof options.key !== "string" &&
    !Buffer.isBuffer(options.key)
  ) {
    throw new SetupError("key", "expected a string, a Buffer or null");
  }
  if (options.codec !== undefined) resolveCodec(options.codec);
  if (
    options.timestamp !== undefined &&
    !(options.timestamp instanceof Date) &&
    typeof options.timestamp !== "number"
  ) {
    throw new SetupError("timestamp", "expected a Date or milliseconds since the epoch");
  }
}

/** Checks a topic name given to publish. */
export function checkTopic(topic: unknown, option = "topic"): string {
  return checkTopicName(topic, option);
}
