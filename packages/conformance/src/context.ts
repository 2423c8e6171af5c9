import type { Logger } from "@faststream/core";
import type { DriverCapabilities, KafkaBrokerBase, KafkaBrokerOptions } from "@faststream/kafka";
import { afterEach } from "vitest";
import { CapturingLogger, uniqueName } from "./env.js";

/** A transport the suite runs on. */
export interface Transport {
  /** Builds a broker on the transport. */
  makeBroker(options: KafkaBrokerOptions): KafkaBrokerBase;
  /** Creates a topic with `partitions` partitions. */
  createTopic(name: string, partitions: number): Promise<void>;
}

/** Definition of one transport for `defineKafkaSuite`. */
export interface KafkaSuiteDefinition {
  /** Transport name shown in test titles (`kafkajs`, `confluent`, `memory`). */
  readonly name: string;
  /** Prepares the transport (once per test file). */
  readonly setup: () => Promise<Transport>;
  /** What the transport's driver can do; cases it cannot run are skipped explicitly. */
  readonly capabilities: DriverCapabilities;
}

/** What every group of cases gets. */
export interface SuiteContext {
  readonly name: string;
  /** A started-on-demand broker, stopped after the test. */
  broker(options?: KafkaBrokerOptions & { logger?: Logger }): Promise<KafkaBrokerBase>;
  /** A fresh topic. */
  topic(partitions?: number): Promise<string>;
  /** Creates a topic with a given name. */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Driver capabilities. */
  readonly caps: DriverCapabilities;
}

/** Consumer settings that make group joins and rebalances fast on a test cluster. */
export const fastConsumer = {
  autoOffsetReset: "earliest",
  sessionTimeoutMs: 3_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 3_000,
  maxWaitMs: 200,
} as const;

/** Builds the per-file context and registers cleanup. */
export function suiteContext(def: KafkaSuiteDefinition): SuiteContext {
  let transport: Promise<Transport> | undefined;
  const started: KafkaBrokerBase[] = [];
  const get = (): Promise<Transport> => {
    transport ??= def.setup();
    return transport;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((b) => b.stop()));
  });
  return {
    name: def.name,
    async broker(options = {}) {
      const t = await get();
      const b = t.makeBroker({ logger: new CapturingLogger(), clientId: uniqueName("conformance"), ...options });
      started.push(b);
      return b;
    },
    async topic(partitions = 1) {
      const name = uniqueName("t");
      await (await get()).createTopic(name, partitions);
      return name;
    },
    caps: def.capabilities,
    async createTopic(name, partitions) {
      await (await get()).createTopic(name, partitions);
    },
  };
}
