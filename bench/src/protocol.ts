/**
 * The contract between the benchmark runner and a variant process.
 *
 * The runner starts one process per (scenario, variant, run) with the settings below in its
 * environment, and reads `BENCH {json}` lines from its stdout. A variant does the scenario's job
 * on the broker given and reports the events of that scenario (see {@link BenchEvent}); the
 * runner ends it with SIGTERM once it has what it needs.
 */
import { randomUUID } from "node:crypto";

/** The five scenarios of the harness. */
export type Scenario = "pipeline" | "consume" | "publish" | "request" | "rss";

/** What a variant process is asked to do. */
export interface BenchSettings {
  readonly scenario: Scenario;
  /** Bootstrap servers of the local cluster. */
  readonly brokers: string[];
  /** Topic to consume (pipeline, consume, rss) or to publish to (publish); request topic (request). */
  readonly inTopic: string;
  /** Topic the pipeline publishes its results to. */
  readonly outTopic: string;
  /** Messages in the input topic (pipeline, consume, rss) or to publish (publish); requests to time (request). */
  readonly count: number;
  /** Consumer group to use (fresh per run, reads from the beginning). */
  readonly groupId: string;
  /** Bytes per published message (publish). */
  readonly payloadBytes: number;
  /** Requests in flight at once (request). */
  readonly concurrency: number;
  /** Time the slow handler takes per message, in ms (rss). */
  readonly handlerDelayMs: number;
  /** How long to drain before reporting, in ms, counted from the first message (rss). */
  readonly durationMs: number;
}

/**
 * What a variant reports.
 * - `ready`: connected and subscribed/started (every scenario).
 * - `first`: the first input message reached the handler (pipeline, consume, rss).
 * - `done`: consume: the `count`th message was handled; publish: every publish was acknowledged,
 *   `start` being the time of the first publish.
 * - `latency`: request: percentiles of `count` request/reply round trips in ms.
 * - `rss`: rss: the peak resident set size (bytes) sampled every 50 ms from start until
 *   `durationMs` after the first message, draining with a handler that takes `handlerDelayMs`.
 */
export type BenchEvent =
  | { event: "ready"; t: number }
  | { event: "first"; t: number }
  | { event: "done"; t: number; start?: number; count: number }
  | { event: "latency"; p50: number; p99: number; mean: number; count: number }
  | { event: "rss"; peak: number; samples: number }
  | { event: "error"; message: string };

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Writes one event for the runner. */
export function emit(event: BenchEvent): void {
  process.stdout.write(`BENCH ${JSON.stringify(event)}\n`);
}

const need = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === "") throw new Error(`${name} is not set (variants are started by the bench runner)`);
  return v;
};

/** The settings the runner passed in the environment. */
export function readSettings(): BenchSettings {
  return {
    scenario: need("BENCH_SCENARIO") as Scenario,
    brokers: need("KAFKA_BROKERS").split(","),
    inTopic: need("BENCH_IN_TOPIC"),
    outTopic: process.env["BENCH_OUT_TOPIC"] ?? "",
    count: Number(need("BENCH_COUNT")),
    groupId: need("BENCH_GROUP"),
    payloadBytes: Number(process.env["BENCH_PAYLOAD_BYTES"] ?? 100),
    concurrency: Number(process.env["BENCH_CONCURRENCY"] ?? 32),
    handlerDelayMs: Number(process.env["BENCH_HANDLER_DELAY_MS"] ?? 1),
    durationMs: Number(process.env["BENCH_DURATION_MS"] ?? 6000),
  };
}

/** The settings as environment variables (runner side). */
export function settingsEnv(s: BenchSettings): Record<string, string> {
  return {
    BENCH_SCENARIO: s.scenario,
    KAFKA_BROKERS: s.brokers.join(","),
    BENCH_IN_TOPIC: s.inTopic,
    BENCH_OUT_TOPIC: s.outTopic,
    BENCH_COUNT: String(s.count),
    BENCH_GROUP: s.groupId,
    BENCH_PAYLOAD_BYTES: String(s.payloadBytes),
    BENCH_CONCURRENCY: String(s.concurrency),
    BENCH_HANDLER_DELAY_MS: String(s.handlerDelayMs),
    BENCH_DURATION_MS: String(s.durationMs),
  };
}

/**
 * `broker.publish` calls the framework's publish scenario keeps in flight (closed loop): as many
 * records as the raw kafkajs contender's 8 sends of 1,000. The raw confluent contender awaiting
 * each record (BENCH_RAW_AWAITED) keeps as many.
 */
export const PUBLISH_WINDOW = 8_000;

/** Pipeline input body (~100 bytes of JSON) and the seed example's reply to it. */
export interface UserRegistered {
  user: string;
  user_id: number;
  email: string;
}

/**
 * The pipeline's output for one input, as the seed example computes it. It reads only the two
 * validated fields, so every contender passes what its check produced, as it is (no copy).
 */
export function registered(u: Pick<UserRegistered, "user" | "user_id">): string {
  return `User: ${u.user_id} - ${u.user} registered`;
}

/** Samples RSS every 50 ms; returns a function that stops and reports the peak. */
export function sampleRss(): () => { peak: number; samples: number } {
  let peak = process.memoryUsage.rss();
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    samples++;
  }, 50);
  return () => {
    clearInterval(timer);
    return { peak: Math.max(peak, process.memoryUsage.rss()), samples: samples + 1 };
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * Stops the variant on SIGTERM/SIGINT by running `close` (bounded to 10 s), then exiting.
 */
export function onTerminate(close: () => Promise<unknown>): void {
  let closing = false;
  const handler = () => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(0), 10_000);
    timer.unref();
    close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}

/** BENCH_RAW_HEADERS, read once: `process.env` is a native lookup on every access. */
const RAW_HEADERS = process.env["BENCH_RAW_HEADERS"] === "1";

/**
 * The headers FastStream writes on every record (`content-type`, a fresh `correlation_id`), for
 * the raw contenders' "-headers" variants (BENCH_RAW_HEADERS=1): the same wire output as the
 * framework, to tell the client's cost of headers from the framework's own. Undefined otherwise.
 */
export function frameworkHeaders(contentType: string): Record<string, string> | undefined {
  if (!RAW_HEADERS) return undefined;
  return { "content-type": contentType, correlation_id: randomUUID() };
}

let firstMarked = false;

/**
 * Emits the `first` event (the first input message reached the handler) on the first call;
 * returns true only then.
 */
export function markFirst(): boolean {
  if (firstMarked) return false;
  firstMarked = true;
  emit({ event: "first", t: now() });
  return true;
}

/**
 * The raw contenders' hand-written check of the pipeline input `{ user: string, user_id:
 * integer }` (FastStream and NestJS validate with zod).
 */
export function parseUser(value: Buffer | null): UserRegistered | undefined {
  if (value === null) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(value.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as { user?: unknown; user_id?: unknown };
  if (typeof o.user !== "string" || !Number.isInteger(o.user_id)) return undefined;
  return v as UserRegistered;
}
