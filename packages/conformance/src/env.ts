import { randomUUID } from "node:crypto";
import type { LogFields, Logger } from "@faststream/core";
import { LocalClusterClient, type LocalClusterControl } from "@faststream/kafka-local";
import { Kafka, logLevel } from "kafkajs";
import { inject } from "vitest";
import { withTimeout } from "./timeout.js";

export { withTimeout };

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string;
    kafkaLocalControl: string | undefined;
    /** A cluster of its own for fault injection (the main one when KAFKA_BROKERS is set). */
    kafkaFaultBrokers: string;
    kafkaFaultControl: string | undefined;
  }
}

/** The cluster the suite runs against. */
export interface TestCluster {
  readonly brokers: string;
  /** Creates a topic with `partitions` partitions (mock control or the admin API). */
  createTopic(name: string, partitions: number): Promise<void>;
  /**
   * Fault injection (brokers down/up, request errors, leader moves, latency) through the local
   * cluster's control endpoint; `undefined` on a real Kafka without `KAFKA_LOCAL_CONTROL`.
   */
  readonly control: LocalClusterControl | undefined;
}

async function connectCluster(brokers: string, controlUrl: string | undefined): Promise<TestCluster> {
  if (controlUrl) {
    const control = await LocalClusterClient.connect(controlUrl);
    return { brokers, control, createTopic: (name, partitions) => control.createTopic(name, partitions) };
  }
  const admin = new Kafka({ brokers: brokers.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return {
    brokers,
    control: undefined,
    async createTopic(name, partitions) {
      await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
    },
  };
}

let cached: Promise<TestCluster> | undefined;
let cachedFault: Promise<TestCluster> | undefined;

/** The cluster provided by the global setup (`KAFKA_BROKERS` or a local one). */
export function testCluster(): Promise<TestCluster> {
  cached ??= connectCluster(inject("kafkaBrokers"), inject("kafkaLocalControl"));
  return cached;
}

/**
 * The cluster fault suites break on purpose. Locally it is a cluster of its own, so a broker
 * taken down or an injected error never reaches test files running in parallel; with
 * `KAFKA_BROKERS` it is that cluster (faults need `KAFKA_LOCAL_CONTROL` there).
 */
export function faultCluster(): Promise<TestCluster> {
  cachedFault ??= connectCluster(inject("kafkaFaultBrokers"), inject("kafkaFaultControl"));
  return cachedFault;
}

/** True when {@link faultCluster} can inject faults (known at collection time, for `it.runIf`). */
export function canInjectFaults(): boolean {
  return Boolean(inject("kafkaFaultControl"));
}

/** A unique topic name for one test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** One captured log line. */
export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly fields: LogFields;
  readonly message: string;
}

/** A logger that records lines, with a way to await a matching one. */
export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  readonly #waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly #bindings: LogFields;
  readonly #root: CapturingLogger | undefined;

  constructor(bindings: LogFields = {}, root?: CapturingLogger) {
    this.#bindings = bindings;
    this.#root = root;
  }

  #log(level: LogLine["level"], fields: LogFields, message: string): void {
    const root = this.#root ?? this;
    const line = { level, fields: { ...this.#bindings, ...fields }, message };
    root.lines.push(line);
    for (const w of [...root.#waiters]) {
      if (w.match(line)) {
        root.#waiters.splice(root.#waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }

  debug(fields: LogFields, message: string): void {
    this.#log("debug", fields, message);
  }
  info(fields: LogFields, message: string): void {
    this.#log("info", fields, message);
  }
  warn(fields: LogFields, message: string): void {
    this.#log("warn", fields, message);
  }
  error(fields: LogFields, message: string): void {
    this.#log("error", fields, message);
  }
  child(bindings: LogFields): Logger {
    return new CapturingLogger({ ...this.#bindings, ...bindings }, this.#root ?? this);
  }

  /** Resolves with the first line (past or future) that matches. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return withTimeout(
      new Promise<LogLine>((resolve) => this.#waiters.push({ match, resolve })),
      timeoutMs,
      "log line",
    );
  }
}

/** Collects items and lets a test await a count. */
export class Collector<T> {
  readonly items: T[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];

  push = (item: T): void => {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.items.length >= w.n) {
        w.resolve();
        return false;
      }
      return true;
    });
  };

  /** Resolves once at least `n` items arrived. */
  async waitFor(n: number, timeoutMs = 20_000): Promise<T[]> {
    if (this.items.length < n) {
      await withTimeout(
        new Promise<void>((resolve) => this.#waiters.push({ n, resolve })),
        timeoutMs,
        `${n} items (have ${this.items.length})`,
      );
    }
    return this.items;
  }
}
