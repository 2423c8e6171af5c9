import {
  type AckPolicy,
  type AnySchema,
  type Codec,
  type CodecName,
  isStandardSchema,
  SetupError,
} from "@faststream/core";
import type { AssignmentStrategy, ConsumerSpec, DriverCapabilities, TopicPartition } from "./driver.js";
import type { KafkaMessage } from "./message.js";
import { type DeadLetterOptions, resolveDeadLetter } from "./dead-letter.js";
import { positiveInt, rejectUnknown } from "./options.js";
import { type RetryOptions, type RetryPolicy, resolveRetry } from "./retry.js";
import { checkAckPolicy, type Decoder, type KafkaMiddleware } from "./scope.js";

/** Where a new consumer group starts reading. */
export type AutoOffsetReset = "earliest" | "latest";

/** Per-message dependencies: each function computes a value handlers get as `message.deps[name]`. */
export type Dependencies = Readonly<Record<string, (message: KafkaMessage<unknown>) => unknown>>;

/** Dependency functions producing the values `D` (inferred from the functions' return types). */
export type DependencyFns<D> = { readonly [K in keyof D]: (message: KafkaMessage<unknown>) => D[K] | Promise<D[K]> };

/** Rebalance hook. */
export type PartitionsHook = (partitions: readonly TopicPartition[]) => void | Promise<void>;

/** Options of `broker.subscriber(target, options)`. */
export interface KafkaSubscriberOptions<
  S extends AnySchema | undefined = undefined,
  C extends CodecName | Codec<unknown> = "auto",
  D extends object = {},
> {
  /** A Standard Schema (zod, valibot, arktype...) the body must satisfy; the handler's body type is inferred from it. */
  readonly schema?: S;
  /** How bodies are decoded: `auto` (by content type), `json`, `string`, `bytes` or a custom codec. Default: the router's/broker's, else `auto`. */
  readonly codec?: C;
  /** Custom decoding step `(message, next) => body`. */
  readonly decoder?: Decoder;
  /**
   * Consumer group. Members of one group share the topic's partitions; offsets are committed
   * after handling. Without it the subscriber reads every message through an ephemeral group of
   * its own (no progress survives a restart).
   */
  readonly groupId?: string;
  /** Static membership id: a restart within the session timeout keeps the assignment (confluent only). */
  readonly groupInstanceId?: string;
  /** Where a group with no committed offset starts. Default `latest` (Kafka's default). */
  readonly autoOffsetReset?: AutoOffsetReset;
  /** Group session timeout. Default 45 000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval, at most a third of the session timeout. Default 3 000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** How long the group waits for members to rejoin during a rebalance. Default 60 000 ms. */
  readonly rebalanceTimeoutMs?: number;
  /** Longest time between polls before the member is dropped (confluent only). */
  readonly maxPollIntervalMs?: number;
  /** Longest a fetch waits for data. Default 500 ms. */
  readonly maxWaitMs?: number;
  /** Most records fetched into one batch. Default 1 000. */
  readonly maxBatchSize?: number;
  /** Fetch sizes in bytes. */
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly maxBytesPerPartition?: number;
  /** `read_committed` (default) hides aborted transactional records; `read_uncommitted` shows them. */
  readonly isolationLevel?: "read_committed" | "read_uncommitted";
  /** Partition assignment strategy, or a list in order of preference. */
  readonly assignmentStrategy?: AssignmentStrategy | readonly AssignmentStrategy[];
  /** Acknowledgement policy (nearest of handler, subscriber, router, broker wins). */
  readonly ackPolicy?: AckPolicy;
  /** Handler calls in flight at once. Order is kept per partition (or per key). Default 1. */
  readonly maxWorkers?: number;
  /** With `maxWorkers` > 1: keep order per `partition` (default) or only per `key` (more parallelism). */
  readonly ordering?: "partition" | "key";
  /** Handlers get arrays of bodies and messages, up to `maxRecords` at a time, from one partition. */
  readonly batch?: boolean;
  /** With `batch`: most records per handler call. Default `maxBatchSize`. */
  readonly maxRecords?: number;
  /** Retries of a failing handler (attempts, backoff, which errors) before the ack policy applies. */
  readonly retry?: RetryOptions;
  /**
   * Dead-letter topic: a rejected message (handler failure after its retries, undecodable or
   * invalid body, no matching handler, `RejectMessage`) is published there with headers saying
   * why, then committed. If that publish fails the message is redelivered instead.
   */
  readonly deadLetter?: string | DeadLetterOptions;
  /** Largest body accepted; a bigger one is a DecodeError (rejected, dead-lettered if configured). */
  readonly maxBodyBytes?: number;
  /** Subscriber middlewares (innermost). */
  readonly middlewares?: readonly KafkaMiddleware[];
  /** Values computed per message, handed to handlers as `message.deps`. */
  readonly dependencies?: DependencyFns<D>;
  /** Called when partitions are assigned. */
  readonly onAssigned?: PartitionsHook;
  /** Called when partitions are revoked in an orderly rebalance (after their offsets were committed). */
  readonly onRevoked?: PartitionsHook;
  /** Called when partitions were lost without a chance to commit. */
  readonly onLost?: PartitionsHook;
  /** Human description (shown in generated docs). */
  readonly description?: string;
}

const KEYS = new Set([
  "schema",
  "codec",
  "decoder",
  "groupId",
  "groupInstanceId",
  "autoOffsetReset",
  "sessionTimeoutMs",
  "heartbeatIntervalMs",
  "rebalanceTimeoutMs",
  "maxPollIntervalMs",
  "maxWaitMs",
  "maxBatchSize",
  "minBytes",
  "maxBytes",
  "maxBytesPerPartition",
  "isolationLevel",
  "assignmentStrategy",
  "ackPolicy",
  "maxWorkers",
  "ordering",
  "batch",
  "maxRecords",
  "middlewares",
  "retry",
  "deadLetter",
  "maxBodyBytes",
  "dependencies",
  "onAssigned",
  "onRevoked",
  "onLost",
  "description",
]);

/** Subscriber settings after validation (consumer spec minus group and subscription). */
export interface ResolvedSubscriberOptions {
  readonly groupId: string | undefined;
  readonly schema: AnySchema | undefined;
  readonly consumer: Omit<ConsumerSpec, "groupId" | "subscription">;
  readonly maxWorkers: number;
  readonly ordering: "partition" | "key";
  readonly batch: boolean;
  readonly maxRecords: number;
  readonly dependencies: Dependencies | undefined;
  readonly retry: RetryPolicy;
  readonly deadLetter: string | undefined;
  readonly maxBodyBytes: number | undefined;
  readonly hooks: { onAssigned?: PartitionsHook; onRevoked?: PartitionsHook; onLost?: PartitionsHook };
  readonly description: string | undefined;
}

function optionalFunction(value: unknown, option: string): void {
  if (value !== undefined && typeof value !== "function") throw new SetupError(option, "expected a function");
}

/**
 * Validates subscriber options at declaration time against what the driver can do. Every
 * problem is a SetupError naming the option.
 */
export function resolveSubscriberOptions(
  options: KafkaSubscriberOptions<AnySchema | undefined, CodecName | Codec<unknown>, object>,
  caps: DriverCapabilities,
): ResolvedSubscriberOptions {
  rejectUnknown(options, KEYS, "subscriber");
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new SetupError("schema", "expected a Standard Schema (zod, valibot, arktype, ...)");
  }
  for (const key of ["groupId", "groupInstanceId"] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== "string" || !v)) throw new SetupError(key, "expected a non-empty string");
  }
  if (options.groupInstanceId !== undefined && !caps.staticMembership) {
    throw new SetupError("groupInstanceId", `static membership is not supported by the ${caps.name} driver`);
  }
  if (options.groupInstanceId !== undefined && options.groupId === undefined) {
    throw new SetupError("groupInstanceId", "needs a groupId");
  }
  if (options.maxPollIntervalMs !== undefined && !caps.maxPollInterval) {
    throw new SetupError("maxPollIntervalMs", `not supported by the ${caps.name} driver`);
  }
  const reset = options.autoOffsetReset ?? "latest";
  if (reset !== "earliest" && reset !== "latest") {
    throw new SetupError("autoOffsetReset", `expected "earliest" or "latest", got ${JSON.stringify(reset)}`);
  }
  const isolation = options.isolationLevel ?? "read_committed";
  if (isolation !== "read_committed" && isolation !== "read_uncommitted") {
    throw new SetupError("isolationLevel", `expected "read_committed" or "read_uncommitted"`);
  }
  const strategies =
    options.assignmentStrategy === undefined
      ? undefined
      : typeof options.assignmentStrategy === "string"
        ? [options.assignmentStrategy]
        : [...options.assignmentStrategy];
  for (const s of strategies ?? []) {
    if (!caps.assignmentStrategies.includes(s)) {
      throw new SetupError(
        "assignmentStrategy",
        `${JSON.stringify(s)} is not supported by the ${caps.name} driver (supported: ${caps.assignmentStrategies.join(", ")})`,
      );
    }
  }
  const sessionTimeoutMs = positiveInt(options.sessionTimeoutMs, "sessionTimeoutMs", 45_000);
  const heartbeatIntervalMs = positiveInt(
    options.heartbeatIntervalMs,
    "heartbeatIntervalMs",
    Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
  );
  if (heartbeatIntervalMs * 3 > sessionTimeoutMs) {
    throw new SetupError("heartbeatIntervalMs", `must be at most a third of sessionTimeoutMs (${sessionTimeoutMs})`);
  }
  const rebalanceTimeoutMs = positiveInt(
    options.rebalanceTimeoutMs,
    "rebalanceTimeoutMs",
    Math.max(60_000, sessionTimeoutMs),
  );
  if (rebalanceTimeoutMs < sessionTimeoutMs) {
    throw new SetupError("rebalanceTimeoutMs", `must be at least sessionTimeoutMs (${sessionTimeoutMs})`);
  }
  const maxWaitMs = positiveInt(options.maxWaitMs, "maxWaitMs", Math.min(500, sessionTimeoutMs - 1));
  if (maxWaitMs >= sessionTimeoutMs) {
    throw new SetupError("maxWaitMs", `must be below sessionTimeoutMs (${sessionTimeoutMs})`);
  }
  const maxBatchSize = positiveInt(options.maxBatchSize, "maxBatchSize", 1_000);
  const maxWorkers = positiveInt(options.maxWorkers, "maxWorkers", 1);
  const ordering = options.ordering ?? "partition";
  if (ordering !== "partition" && ordering !== "key") {
    throw new SetupError("ordering", `expected "partition" or "key", got ${JSON.stringify(ordering)}`);
  }
  if (options.batch !== undefined && typeof options.batch !== "boolean")
    throw new SetupError("batch", "expected a boolean");
  if (options.maxRecords !== undefined && !options.batch)
    throw new SetupError("maxRecords", "only applies with batch: true");
  if (options.batch && options.ordering === "key")
    throw new SetupError("ordering", "batch subscribers keep partition order");
  checkAckPolicy(options.ackPolicy);
  if (options.dependencies !== undefined) {
    if (typeof options.dependencies !== "object" || options.dependencies === null) {
      throw new SetupError("dependencies", "expected an object of functions");
    }
    for (const [name, fn] of Object.entries(options.dependencies)) {
      if (typeof fn !== "function")
        throw new SetupError(`dependencies.${name}`, "expected a function (message) => value");
    }
  }
  for (const hook of ["onAssigned", "onRevoked", "onLost"] as const) optionalFunction(options[hook], hook);
  const hooks: ResolvedSubscriberOptions["hooks"] = {};
  if (options.onAssigned) hooks.onAssigned = options.onAssigned;
  if (options.onRevoked) hooks.onRevoked = options.onRevoked;
  if (options.onLost) hooks.onLost = options.onLost;
  return {
    groupId: options.groupId,
    schema: options.schema,
    consumer: {
      fromBeginning: reset === "earliest",
      sessionTimeoutMs,
      heartbeatIntervalMs,
      rebalanceTimeoutMs,
      maxWaitMs,
      maxBatchSize,
      partitionsConcurrently: maxWorkers,
      groupInstanceId: options.groupInstanceId,
      maxPollIntervalMs:
        options.maxPollIntervalMs === undefined
          ? undefined
          : positiveInt(options.maxPollIntervalMs, "maxPollIntervalMs", 0),
      minBytes: options.minBytes === undefined ? undefined : positiveInt(options.minBytes, "minBytes", 0),
      maxBytes: options.maxBytes === undefined ? undefined : positiveInt(options.maxBytes, "maxBytes", 0),
      maxBytesPerPartition:
        options.maxBytesPerPartition === undefined
          ? undefined
          : positiveInt(options.maxBytesPerPartition, "maxBytesPerPartition", 0),
      isolationLevel: isolation,
      assignmentStrategies: strategies,
    },
    maxWorkers,
    ordering,
    batch: options.batch ?? false,
    maxRecords: positiveInt(options.maxRecords, "maxRecords", maxBatchSize),
    dependencies: options.dependencies as Dependencies | undefined,
    retry: resolveRetry(options.retry),
    deadLetter: resolveDeadLetter(options.deadLetter),
    maxBodyBytes: options.maxBodyBytes === undefined ? undefined : positiveInt(options.maxBodyBytes, "maxBodyBytes", 0),
    hooks,
    description: options.description,
  };
}
