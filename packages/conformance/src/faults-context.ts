/** The fault suite's per-file context: the case runner, cleanup and skips. */
import type { KafkaBrokerBase, KafkaBrokerOptions } from "@faststream/kafka";
import { ApiKey, type LocalClusterControl } from "@faststream/kafka-local";
import { afterEach, expect, it } from "vitest";
import type { AdapterName, MakeBroker } from "./adapters.js";
import { fastConsumer } from "./context.js";
import { CapturingLogger, Collector, canInjectFaults, faultCluster, type LogLine, uniqueName } from "./env.js";
import { auditLost, warningSummary } from "./fault-audit.js";
import {
  analyse,
  duplicateMap,
  type FaultOutcome,
  faultLine,
  type Msg,
  messageSet,
  type PublishStats,
  publishAll,
  spreadKeys,
  Tracker,
} from "./fault-harness.js";

/** One adapter for {@link defineFaultSuite}. */
export interface FaultSuiteDefinition {
  /** The adapter; a child process of the SIGKILL case loads it by this name. */
  readonly name: AdapterName;
  /** Builds a broker of the adapter (as `networkSuite` does). */
  readonly make: MakeBroker;
}

/** Brokers of the fault cluster (ids 1..3) and partitions of each case's topic. */
export const BROKERS = 3;
export const PARTITIONS = 6;

/** What a case works with. */
export interface FaultEnv {
  readonly adapter: AdapterName;
  readonly bootstrapServers: string;
  readonly control: LocalClusterControl;
  /** A fresh topic of {@link PARTITIONS} partitions; partition p is led by broker (p % 3) + 1. */
  readonly topic: string;
  readonly group: string;
  readonly messages: readonly Msg[];
  /** Simulated work per handler call (see {@link Scenario.workMs}). */
  readonly workMs: number;
  readonly tracker: Tracker;
  /** Client warnings and errors logged by the case's brokers (evidence the fault was felt). */
  readonly logger: CapturingLogger;
  /** The broker publishing the messages. */
  readonly publisher: KafkaBrokerBase;
  /** Marker messages (`{ marker: true }`, not part of the set) handlers saw, by member. */
  readonly markers: Collector<{ member: string; partition: number }>;
  /** A broker on the fault cluster, stopped after the case. */
  broker(options?: KafkaBrokerOptions): KafkaBrokerBase;
  /** Declares the tracking subscriber (the case's group, fast-rebalance settings) on `broker`. */
  subscribe(broker: KafkaBrokerBase, member: string): void;
  /** `wait`, or a rejection as soon as a consumer of the case crashed within `timeoutMs`. */
  unlessCrashed<T>(wait: Promise<T>, timeoutMs: number): Promise<T>;
}

/** One fault case. */
export interface Scenario {
  /** Name in the printed `FAULT` line. */
  readonly name: string;
  /** Messages published. */
  readonly total: number;
  /** Time each handler call takes (simulated work), so the stream outlasts group rebalances. Default 0. */
  readonly workMs?: number;
  /** Starts the consumers (resolves once they joined the group). */
  readonly consumers: (env: FaultEnv) => Promise<void>;
  /** Runs alongside publishing: waits for its trigger, breaks something, heals it. */
  readonly fault: (env: FaultEnv) => Promise<void>;
  /** Called after each acknowledged publish chunk (faults on the publishing side). */
  readonly afterChunk?: (env: FaultEnv, sent: number) => Promise<void> | void;
  /** `none`: no consumer saw the fault, so no message may be read twice from the same offset. */
  readonly redelivery: "none" | "allowed";
  /**
   * Runs once every message was handled (or the wait gave up), before the case's brokers stop
   * and the analysis: stops worker processes, restarts an instance, and the like.
   */
  readonly drain?: (env: FaultEnv) => Promise<void>;
  /** Extra figures for the printed line. */
  readonly extra?: (env: FaultEnv) => Record<string, unknown>;
  /** Case-specific assertions, after the common ones. */
  readonly verify?: (env: FaultEnv) => void;
}

/** The per-file context cases get. */
export interface FaultContext {
  readonly adapter: AdapterName;
  /**
   * Registers a case: skipped, with the reason in its title, when faults cannot be injected or
   * when `skip` names this adapter (a client-library limit the framework exposes no option for,
   * or a reported framework bug). `FAULT_RUN_SKIPPED=1` runs those anyway.
   */
  test(title: string, scenario: () => Scenario, skip?: Partial<Record<AdapterName, string>>): void;
}

const NO_CONTROL =
  "skipped: KAFKA_BROKERS is a cluster without a KAFKA_LOCAL_CONTROL fault-injection endpoint (faults need the local cluster)";

/** Request types whose injected errors are cleared after every case. */
const INJECTED = [ApiKey.Produce, ApiKey.Fetch, ApiKey.OffsetCommit, ApiKey.Heartbeat, ApiKey.Metadata];

/** Builds the per-file context and registers cleanup (every fault healed after each case). */
export function faultContext(def: FaultSuiteDefinition): FaultContext {
  const enabled = canInjectFaults();
  const started: KafkaBrokerBase[] = [];
  let control: LocalClusterControl | undefined;
  afterEach(async () => {
    await Promise.all(started.splice(0).map((b) => b.stop().catch(() => undefined)));
    if (!control) return;
    // Faults are bounded: whatever a case did, the cluster is whole again for the next one.
    for (let id = 1; id <= BROKERS; id++) {
      await control.brokerUp(id);
      await control.setBrokerRtt(id, 0);
    }
    for (const api of INJECTED) await control.clearRequestErrors(api);
  });

  const run = async (scenario: Scenario): Promise<void> => {
    const cluster = await faultCluster();
    if (!cluster.control) throw new Error("the fault cluster has no control endpoint");
    control = cluster.control;
    const topic = uniqueName("faults");
    await cluster.createTopic(topic, PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) await control.setPartitionLeader(topic, p, (p % BROKERS) + 1);
    const logger = new CapturingLogger();
    const tracker = new Tracker();
    const make = (options: KafkaBrokerOptions = {}): KafkaBrokerBase => {
      const b = def.make(cluster.brokers, { logger, clientId: uniqueName("faults"), ...options });
      started.push(b);
      return b;
    };
    const producer = make();
    const env: FaultEnv = {
      adapter: def.name,
      bootstrapServers: cluster.brokers,
      control,
      topic,
      group: uniqueName("g"),
      messages: messageSet(spreadKeys(PARTITIONS, 4), scenario.total),
      workMs: scenario.workMs ?? 0,
      tracker,
      logger,
      publisher: producer,
      markers: new Collector(),
      broker: make,
      unlessCrashed(wait, timeoutMs) {
        const crashed = logger
          .waitFor((l) => l.message.startsWith("consumer crashed"), timeoutMs)
          .then((l) => {
            throw new Error(`a consumer crashed: ${String((l.fields["err"] as Error | undefined)?.message)}`);
          });
        crashed.catch(() => undefined);
        return Promise.race([wait, crashed]);
      },
      subscribe(broker, member) {
        broker.subscriber(topic, { ...fastConsumer, groupId: env.group }).handle(async (body, message) => {
          const { key, seq, marker } = body as Msg & { marker?: boolean };
          if (env.workMs > 0) await new Promise((resolve) => setTimeout(resolve, env.workMs));
          if (marker) env.markers.push({ member, partition: message.partition });
          else tracker.push({ key, seq, partition: message.partition, offset: message.offset, member });
        });
      },
    };
    const began = Date.now();
    await producer.connect();
    await scenario.consumers(env);
    const fault = scenario.fault(env);
    // A fault that fails (e.g. its trigger never came) is reported after the analysis.
    const faultDone = fault.then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    let incomplete: Error | undefined;
    const stats: PublishStats = { sent: 0, retries: 0 };
    try {
      const afterChunk = (sent: number) => scenario.afterChunk?.(env, sent);
      await publishAll(producer, topic, env.messages, tracker, { afterChunk }, stats);
      await tracker.waitDistinct(scenario.total, 30_000, "every message handled");
    } catch (err) {
      incomplete = err as Error;
    }
    let faultError = await faultDone;
    try {
      await scenario.drain?.(env);
    } catch (err) {
      faultError ??= err as Error;
    }
    await Promise.all(started.splice(0).map((b) => b.stop()));
    // Only what the cluster acknowledged counts as sent.
    const outcome: FaultOutcome = analyse(env.messages.slice(0, stats.sent), tracker.records);
    const warnings = logger.lines.filter((l) => l.level === "warn" || l.level === "error");
    // Where lost messages went: never written (producer side) or written and not handled.
    const audit = outcome.lost > 0 ? await auditLost(cluster.brokers, topic, lostIds(env, stats)) : undefined;
    console.log(
      faultLine(def.name, scenario.name, outcome, {
        publishRetries: stats.retries,
        clientWarnings: warnings.length,
        ...scenario.extra?.(env),
        ...(audit ? { lostInLog: audit.inLog, lostNeverWritten: audit.notInLog } : {}),
        seconds: ((Date.now() - began) / 1000).toFixed(1),
      }),
    );
    if (process.env["FAULT_DEBUG"]) console.log(duplicateMap(tracker.records).join("\n"));
    try {
      expect(outcome.lostSample, `lost ${outcome.lost} acknowledged messages`).toEqual([]);
      expect(outcome.orderErrors, "first occurrences out of order").toEqual([]);
      if (scenario.redelivery === "none") expect(outcome.redelivered, "messages read twice").toBe(0);
      if (incomplete) throw incomplete;
      if (faultError) throw faultError;
      scenario.verify?.(env);
    } catch (err) {
      const summary = warningSummary(logger.lines);
      console.log(`client warnings and errors:${summary.length ? `\n  ${summary.join("\n  ")}` : " none"}`);
      throw new CaseFailure(err as Error, syncGroupQuirk(logger.lines));
    }
  };

  /** Runs a case; a second time only when the mock's SyncGroup quirk crashed a member. */
  const runWithQuirkRetry = async (scenario: () => Scenario): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(scenario());
      } catch (err) {
        if (!(err instanceof CaseFailure)) throw err;
        if (!err.quirk || attempt >= 2) throw err.cause;
        console.log("retrying: the mock answered a SyncGroup with INVALID_REQUEST and kafkajs crashed (README)");
      }
    }
  };

  return {
    adapter: def.name,
    test(title, scenario, skip) {
      // FAULT_RUN_SKIPPED=1 runs the cases skipped for an adapter anyway (to re-check a fix).
      const reason = enabled ? (process.env["FAULT_RUN_SKIPPED"] ? undefined : skip?.[def.name]) : NO_CONTROL;
      const full = reason ? `${title} (${reason})` : title;
      it.runIf(!reason)(full, () => runWithQuirkRetry(scenario), 150_000);
    },
  };
}

/** A failed case, and whether the mock's SyncGroup quirk was involved. */
class CaseFailure extends Error {
  constructor(
    override readonly cause: Error,
    readonly quirk: boolean,
  ) {
    super(cause.message);
  }
}

/**
 * librdkafka's mock can answer a late follower's SyncGroup with INVALID_REQUEST, which kafkajs
 * treats as fatal (README, known limits of the mock; about once in 30 rebalances under load).
 */
function syncGroupQuirk(lines: readonly LogLine[]): boolean {
  return (
    lines.some((l) => l.message.startsWith("Response SyncGroup")) &&
    lines.some((l) => l.message.startsWith("consumer crashed"))
  );
}

/** Ids (`key#seq`) of the acknowledged messages no handler saw. */
function lostIds(env: FaultEnv, stats: PublishStats): string[] {
  const seen = new Set(env.tracker.records.map((r) => `${r.key}#${r.seq}`));
  return env.messages
    .slice(0, stats.sent)
    .map((m) => `${m.key}#${m.seq}`)
    .filter((id) => !seen.has(id));
}

/** One in-process app instance consuming the case's topic in the case's group. */
export async function oneConsumer(env: FaultEnv): Promise<void> {
  const app = env.broker();
  env.subscribe(app, "app");
  await app.start();
}
