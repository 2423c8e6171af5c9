/** The contenders: how each is started and which scenarios it can do. */
import type { Scenario } from "./protocol.js";

export interface Variant {
  /** Name in tables and on the command line. */
  readonly name: string;
  /** Script under src/variants/, run with tsx. */
  readonly script: string;
  /** Extra environment for the script. */
  readonly env?: Readonly<Record<string, string>>;
  /** Scenarios it runs (NestJS cannot do every job). */
  readonly scenarios: readonly Scenario[];
  /** What it is compared against in the ratio columns. */
  readonly kind: "framework" | "raw" | "raw-headers" | "raw-awaited" | "nestjs";
  /** Client library it drives. */
  readonly client: "kafkajs" | "confluent";
  /** A framework run with `frameworkHeaders: "minimal"` (it writes no headers the raw loops do not). */
  readonly minimalHeaders?: boolean;
  /** A framework run whose publishes do not await each acknowledgement (`noConfirm: true`). */
  readonly noConfirm?: boolean;
}

const ALL: readonly Scenario[] = ["pipeline", "consume", "publish", "request", "rss"];

/** FastStream on one adapter (the same script, BENCH_ADAPTER picks the import). */
function faststream(client: Variant["client"]): Variant {
  return {
    name: `faststream-${client}`,
    script: "faststream.ts",
    env: { BENCH_ADAPTER: client },
    scenarios: ALL,
    kind: "framework",
    client,
  };
}

/**
 * A FastStream contender with `frameworkHeaders: "minimal"` (BENCH_FRAMEWORK_HEADERS): its
 * records carry no headers, as the raw contenders' records. `suffix` names it, `env` adds the
 * script's switches for its shape.
 */
function faststreamMinimalShape(
  client: Variant["client"],
  suffix: string,
  scenarios: readonly Scenario[],
  env: Readonly<Record<string, string>> = {},
  noConfirm = false,
): Variant {
  return {
    name: `faststream-${client}-${suffix}`,
    script: "faststream.ts",
    env: { BENCH_ADAPTER: client, BENCH_FRAMEWORK_HEADERS: "minimal", ...env },
    scenarios,
    kind: "framework",
    client,
    minimalHeaders: true,
    ...(noConfirm ? { noConfirm: true } : {}),
  };
}

/** FastStream with minimal headers, in the scenarios that publish. */
function faststreamMinimal(client: Variant["client"]): Variant {
  return faststreamMinimalShape(client, "minimal", ["pipeline", "publish"]);
}

/**
 * FastStream's batch shape (BENCH_BATCH) with minimal headers, in the pipeline: a batch
 * subscriber and a `batch` publisher, as the raw contenders process a fetched batch at once.
 */
function faststreamBatch(client: Variant["client"]): Variant {
  return faststreamMinimalShape(client, "batch", ["pipeline"], { BENCH_BATCH: "1" });
}

/**
 * FastStream publishing with `noConfirm: true` and minimal headers (BENCH_NO_CONFIRM), in the
 * publish scenario: one loop awaiting each `broker.publish` (which resolves once the record is
 * accepted, waiting for room past `maxUnconfirmed`), then `broker.flush()`. The raw loops do not
 * await each record either.
 */
function faststreamNoConfirm(client: Variant["client"]): Variant {
  return faststreamMinimalShape(client, "noconfirm", ["publish"], { BENCH_NO_CONFIRM: "1" }, true);
}

/** A raw contender run with BENCH_RAW_HEADERS=1, in the scenarios that publish. */
function withFrameworkHeaders(raw: string, script: string, client: Variant["client"]): Variant {
  return {
    name: `${raw}-headers`,
    script,
    env: { BENCH_RAW_HEADERS: "1" },
    scenarios: ["pipeline", "publish"],
    kind: "raw-headers",
    client,
  };
}

export const VARIANTS: readonly Variant[] = [
  faststream("kafkajs"),
  { name: "raw-kafkajs", script: "raw-kafkajs.ts", scenarios: ALL, kind: "raw", client: "kafkajs" },
  faststream("confluent"),
  { name: "raw-confluent-native", script: "raw-confluent-native.ts", scenarios: ALL, kind: "raw", client: "confluent" },
  {
    name: "raw-confluent-kafkajs",
    script: "raw-confluent-kafkajs.ts",
    scenarios: ALL,
    kind: "raw",
    client: "confluent",
  },
  // The raw contenders writing what FastStream writes (content-type and correlation_id headers):
  // they tell the client's cost of those headers from the framework's own overhead.
  withFrameworkHeaders("raw-kafkajs", "raw-kafkajs.ts", "kafkajs"),
  withFrameworkHeaders("raw-confluent-native", "raw-confluent-native.ts", "confluent"),
  // The raw native producer used as `broker.publish` is (a promise per record, 8,000 awaited at
  // once): what that API shape costs on this client, apart from what the framework adds.
  {
    name: "raw-confluent-native-awaited",
    script: "raw-confluent-native.ts",
    env: { BENCH_RAW_AWAITED: "1" },
    scenarios: ["publish"],
    kind: "raw-awaited",
    client: "confluent",
  },
  faststreamMinimal("kafkajs"),
  faststreamMinimal("confluent"),
  faststreamBatch("kafkajs"),
  faststreamBatch("confluent"),
  faststreamNoConfirm("kafkajs"),
  faststreamNoConfirm("confluent"),
  {
    name: "nestjs-kafkajs",
    script: "nestjs.ts",
    scenarios: ["pipeline", "consume", "publish", "request"],
    kind: "nestjs",
    client: "kafkajs",
  },
];
