/**
 * Soak: the seed example's pipeline under random faults for a while, then a drain and a report
 * of what each hop lost or handled twice. A script, not a test:
 *
 *   pnpm --filter @faststream/conformance soak -- --adapter kafkajs --seconds 60
 *
 * Pipeline: JSON `{ key, seq }` on a 3-partition input topic -> a subscriber that validates it
 * with zod and returns `{ key, seq, hop }` (published to a 3-partition output topic under the
 * same key) -> a second app instance consuming the output. Keyed, numbered messages are
 * published for `--seconds`, never more than `--window` ahead of the end of the pipeline.
 * Faults (when a control endpoint is available): every 1-4 s one of a broker down, request
 * errors on Produce/Fetch/OffsetCommit, a partition's leader moved, a broker's latency raised;
 * each is healed within 3 s. Cluster: an embedded local cluster, or `KAFKA_BROKERS` (plus
 * `KAFKA_LOCAL_CONTROL` for faults). Exits 0 when nothing was lost and order held, else 1.
 */
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import type { AckPolicy, LogFields, Logger } from "@faststream/core";
import { type KafkaBrokerBase, KafkaResponse } from "@faststream/kafka";
import { ApiKey, LocalClusterClient, type LocalClusterControl, startLocalCluster } from "@faststream/kafka-local";
import { Kafka, logLevel } from "kafkajs";
import { z } from "zod";
import { adapterName, loadAdapter } from "./adapters.js";
import { auditLost } from "./fault-audit.js";
import { analyse, duplicateMap, type FaultOutcome, type Msg, spreadKeys, Tracker } from "./fault-harness.js";

const { values: opts } = parseArgs({
  // pnpm forwards the `--` separator itself.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    adapter: { type: "string", default: "kafkajs" },
    seconds: { type: "string", default: "60" },
    window: { type: "string", default: "600" },
    "ack-policy": { type: "string", default: "nack_on_error" },
    "no-faults": { type: "boolean", default: false },
    "drain-seconds": { type: "string", default: "60" },
  },
});
const adapter = adapterName(opts.adapter);
const seconds = Number(opts.seconds);
const window = Number(opts.window);
const drainMs = Number(opts["drain-seconds"]) * 1000;
const ackPolicy = opts["ack-policy"] as AckPolicy;
const PARTITIONS = 3;
const BROKERS = 3;

/** Counts warnings and errors by message instead of printing them. */
class CountingLogger implements Logger {
  readonly counts = new Map<string, number>();
  debug(): void {}
  info(): void {}
  warn(_fields: LogFields, message: string): void {
    this.#count(`warn ${message}`);
  }
  error(_fields: LogFields, message: string): void {
    this.#count(`error ${message}`);
  }
  child(): Logger {
    return this;
  }
  #count(text: string): void {
    const key = text.slice(0, 120);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  top(n: number): string[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([m, c]) => `${c} x ${m}`);
  }
}

interface SoakCluster {
  readonly brokers: string;
  readonly control: LocalClusterControl | undefined;
  createTopic(name: string, partitions: number): Promise<void>;
  close(): Promise<void>;
}

async function soakCluster(): Promise<SoakCluster> {
  const external = process.env["KAFKA_BROKERS"];
  if (!external) {
    const cluster = await startLocalCluster({ brokers: BROKERS });
    return {
      brokers: cluster.bootstrapServers,
      control: cluster,
      createTopic: (name, partitions) => cluster.createTopic(name, partitions),
      close: () => cluster.stop(),
    };
  }
  const url = process.env["KAFKA_LOCAL_CONTROL"];
  if (url) {
    const control = await LocalClusterClient.connect(url);
    return { brokers: external, control, createTopic: (n, p) => control.createTopic(n, p), close: async () => {} };
  }
  const admin = new Kafka({ brokers: external.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return {
    brokers: external,
    control: undefined,
    async createTopic(topic, numPartitions) {
      await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    },
    close: () => admin.disconnect(),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const between = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

/** Random bounded faults until `stop` is set; every fault is healed before the next one. */
async function injectFaults(
  control: LocalClusterControl,
  topics: readonly string[],
  leaders: Map<string, number>,
  timeline: string[],
  running: () => boolean,
): Promise<void> {
  const began = Date.now();
  const log = (what: string): void => {
    timeline.push(`${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);
  };
  const errors: Record<number, number[]> = {
    [ApiKey.Produce]: [6, 7, 19],
    [ApiKey.Fetch]: [6, 7, 3],
    [ApiKey.OffsetCommit]: [27, 15, 16],
  };
  while (running()) {
    await sleep(between(1_000, 4_000));
    if (!running()) return;
    const kind = pick(["broker-down", "request-errors", "leader-change", "rtt"] as const);
    const broker = between(1, BROKERS);
    const ms = between(500, 3_000);
    if (kind === "broker-down") {
      log(`broker ${broker} down ${ms} ms`);
      await control.brokerDown(broker);
      await sleep(ms);
      await control.brokerUp(broker);
    } else if (kind === "rtt") {
      const rtt = between(50, 500);
      log(`broker ${broker} rtt ${rtt} ms for ${ms} ms`);
      await control.setBrokerRtt(broker, rtt);
      await sleep(ms);
      await control.setBrokerRtt(broker, 0);
    } else if (kind === "request-errors") {
      const api = pick([ApiKey.Produce, ApiKey.Fetch, ApiKey.OffsetCommit]);
      const codes = Array.from({ length: between(3, 8) }, () => pick(errors[api]!));
      const name = Object.entries(ApiKey).find(([, v]) => v === api)?.[0];
      log(`${name} errors [${codes.join(",")}]`);
      await control.pushRequestErrors(api, codes);
      await sleep(3_000);
      await control.clearRequestErrors(api);
    } else {
      const topic = pick(topics);
      const partition = between(0, PARTITIONS - 1);
      const next = ((leaders.get(`${topic}/${partition}`) ?? 1) % BROKERS) + 1;
      log(`${topic.startsWith("soak-in") ? "in" : "out"}[${partition}] leader -> ${next}`);
      await control.setPartitionLeader(topic, partition, next);
      leaders.set(`${topic}/${partition}`, next);
    }
  }
}

async function heal(control: LocalClusterControl): Promise<void> {
  for (let id = 1; id <= BROKERS; id++) {
    await control.brokerUp(id);
    await control.setBrokerRtt(id, 0);
  }
  for (const api of [ApiKey.Produce, ApiKey.Fetch, ApiKey.OffsetCommit]) await control.clearRequestErrors(api);
}

/**
 * The longest time a hop made no progress while messages were waiting for it (stalls that
 * ended), and how long it had made none when the soak ended (messages that never came).
 */
class StallWatch {
  #last = -1;
  #since = Date.now();
  longestMs = 0;
  constructor(
    readonly handled: () => number,
    readonly expected: () => number,
  ) {}
  sample(): void {
    const now = Date.now();
    const n = this.handled();
    if (n !== this.#last) this.longestMs = Math.max(this.longestMs, now - this.#since);
    if (n !== this.#last || n >= this.expected()) {
      this.#last = n;
      this.#since = now;
    }
  }
  /** Time without progress at the end (0 if the hop was caught up). */
  get openMs(): number {
    return this.handled() >= this.expected() ? 0 : Date.now() - this.#since;
  }
}

function hopLine(name: string, o: FaultOutcome, extra = ""): string {
  return (
    `${name}: sent=${o.sent} handled=${o.handled} lost=${o.lost} duplicated=${o.duplicated} ` +
    `(redelivered=${o.redelivered} rewritten=${o.rewritten} orderErrors=${o.orderErrors.length}${extra})`
  );
}

/**
 * Ends the process at `afterMs` even if its event loop is blocked (a thread of its own sleeps
 * and then kills it), so the soak always stops by itself.
 */
function watchdog(afterMs: number): void {
  const code = `
    const { workerData } = require("node:worker_threads");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.afterMs);
    require("node:fs").writeSync(2, "soak: still running after " + workerData.afterMs + " ms; killed by its watchdog\\n");
    process.kill(workerData.pid, "SIGKILL");`;
  new Worker(code, { eval: true, workerData: { afterMs, pid: process.pid } }).unref();
}

async function main(): Promise<number> {
  watchdog((seconds + Number(opts["drain-seconds"]) + 120) * 1000);
  const make = await loadAdapter(adapter);
  const cluster = await soakCluster();
  const control = opts["no-faults"] ? undefined : cluster.control;
  const id = Math.random().toString(36).slice(2, 8);
  const [input, output] = [`soak-in-${id}`, `soak-out-${id}`];
  const leaders = new Map<string, number>();
  for (const topic of [input, output]) {
    await cluster.createTopic(topic, PARTITIONS);
    for (let p = 0; p < PARTITIONS && control; p++) {
      await control.setPartitionLeader(topic, p, (p % BROKERS) + 1);
      leaders.set(`${topic}/${p}`, (p % BROKERS) + 1);
    }
  }
  const logger = new CountingLogger();
  const consumer = {
    autoOffsetReset: "earliest",
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 1_000,
    rebalanceTimeoutMs: 6_000,
    maxWaitMs: 200,
    ackPolicy,
  } as const;
  const brokerOptions = (name: string) => ({ logger, clientId: `soak-${name}-${id}` });

  // The seed example's shape: validate, return a value, published to the output topic.
  const Input = z.object({ key: z.string(), seq: z.number().int().nonnegative() });
  const hop1 = new Tracker();
  const pipeline = make(cluster.brokers, brokerOptions("pipeline"));
  pipeline
    .subscriber(input, { ...consumer, groupId: `soak-pipeline-${id}`, schema: Input })
    .publisher(output)
    .handle(({ key, seq }, message) => {
      hop1.push({ key, seq, partition: message.partition, offset: message.offset, member: "pipeline" });
      return new KafkaResponse({ key, seq, hop: 1 }, { key });
    });
  const hop2 = new Tracker();
  const downstream = make(cluster.brokers, brokerOptions("downstream"));
  downstream.subscriber(output, { ...consumer, groupId: `soak-downstream-${id}` }).handle((body, message) => {
    const { key, seq } = body as Msg;
    hop2.push({ key, seq, partition: message.partition, offset: message.offset, member: "downstream" });
  });
  const producer = make(cluster.brokers, brokerOptions("producer"));
  const brokers: KafkaBrokerBase[] = [downstream, pipeline, producer];
  await Promise.all(brokers.map((b) => b.start()));

  const keys = spreadKeys(PARTITIONS, 8);
  const sent: Msg[] = [];
  const timeline: string[] = [];
  const began = Date.now();
  const deadline = began + seconds * 1000;
  let publishing = true;
  const faults = control
    ? injectFaults(control, [input, output], leaders, timeline, () => publishing)
    : Promise.resolve();
  const stalls = [
    new StallWatch(
      () => hop1.distinct,
      () => sent.length,
    ),
    new StallWatch(
      () => hop2.distinct,
      () => hop1.distinct,
    ),
  ] as const;
  const watch = setInterval(() => {
    for (const w of stalls) w.sample();
  }, 250);
  const progress = setInterval(() => {
    const t = Math.round((Date.now() - began) / 1000);
    console.log(`t=${t}s sent=${sent.length} hop1=${hop1.distinct} hop2=${hop2.distinct} faults=${timeline.length}`);
  }, 5_000);
  let publishError: string | undefined;
  console.log(
    `soak: ${adapter}, ${seconds} s, ackPolicy ${ackPolicy}, ${control ? "with" : "without"} faults, ` +
      `cluster ${cluster.brokers}, topics ${input} -> ${output}`,
  );
  while (Date.now() < deadline && publishError === undefined) {
    const next = Array.from({ length: 50 }, (_, j) => {
      const i = sent.length + j;
      return { key: keys[i % keys.length]!, seq: Math.floor(i / keys.length) };
    });
    // Stay within `window` of the end of the pipeline (a stalled pipeline stops publishing).
    const lagOk = await hop2
      .waitDistinct(sent.length - window, Math.max(1, deadline - Date.now()), "the pipeline to catch up")
      .then(
        () => true,
        () => false,
      );
    if (!lagOk) break;
    let pending = next;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const results = await producer.publishBatch(
        pending.map((m) => ({ body: m, key: m.key })),
        input,
      );
      const failed = pending.filter((_, j) => !results[j]!.ok);
      if (failed.length > 0 && attempt >= 10) {
        const first = results.find((r) => !r.ok);
        publishError = first && !first.ok ? first.error.message : "unknown";
        break;
      }
      pending = failed;
    }
    if (publishError === undefined) sent.push(...next);
  }
  publishing = false;
  await faults;
  if (control) await heal(control);
  console.log(`published ${sent.length} in ${((Date.now() - began) / 1000).toFixed(1)} s; draining`);
  const drained = await drain(hop1, hop2, sent.length, Date.now() + drainMs);
  for (const w of stalls) w.sample();
  clearInterval(progress);
  clearInterval(watch);
  await Promise.all(brokers.map((b) => b.stop().catch(() => undefined)));

  const first = analyse(sent, hop1.records);
  // Hop 2 expects one output per input that hop 1 handled.
  const handledByHop1 = new Set(hop1.records.map((r) => `${r.key}#${r.seq}`));
  const second = analyse(
    sent.filter((m) => handledByHop1.has(`${m.key}#${m.seq}`)),
    hop2.records,
  );
  const audit = async (topic: string, o: FaultOutcome, records: Tracker): Promise<string> => {
    if (o.lost === 0) return "";
    const seen = new Set(records.records.map((r) => `${r.key}#${r.seq}`));
    const lost = sent
      .map((m) => `${m.key}#${m.seq}`)
      .filter((x) => !seen.has(x) && (topic === input || handledByHop1.has(x)));
    const a = await auditLost(cluster.brokers, topic, lost).catch(() => undefined);
    return a ? ` lostInLog=${a.inLog} lostNeverWritten=${a.notInLog}` : " audit=failed";
  };
  const audit1 = await audit(input, first, hop1);
  const audit2 = await audit(output, second, hop2);
  console.log(`SOAK ${adapter} ${seconds}s: ${timeline.length} faults; drain: ${drained}`);
  if (timeline.length > 0) console.log(`  faults: ${timeline.join("; ")}`);
  const stalled = (w: StallWatch): string =>
    ` longestStall=${(w.longestMs / 1000).toFixed(1)}s` +
    (w.openMs > 0 ? ` noProgressAtEnd=${(w.openMs / 1000).toFixed(1)}s` : "");
  console.log(hopLine(`  hop 1 (${input} -> handler)`, first, `${audit1}${stalled(stalls[0])}`));
  console.log(hopLine(`  hop 2 (${output} -> subscriber)`, second, `${audit2}${stalled(stalls[1])}`));
  if (publishError) console.log(`  publishing stopped: ${publishError}`);
  if (process.env["FAULT_DEBUG"]) console.log(`  hop 1 read again: ${duplicateMap(hop1.records).join("; ") || "none"}`);
  for (const e of [...first.orderErrors, ...second.orderErrors].slice(0, 5)) console.log(`  order: ${e}`);
  const warnings = logger.top(6);
  if (warnings.length > 0) console.log(`  client warnings and errors:\n    ${warnings.join("\n    ")}`);
  await cluster.close();
  const ok = first.lost === 0 && second.lost === 0 && first.orderErrors.length === 0 && second.orderErrors.length === 0;
  return ok ? 0 : 1;
}

/**
 * Waits until hop 1 handled every message and hop 2 every output of hop 1; gives up when
 * neither made progress for 15 s (messages that will not come: never written, or a stalled
 * client) or at `deadline`.
 */
async function drain(hop1: Tracker, hop2: Tracker, total: number, deadline: number): Promise<string> {
  for (;;) {
    if (hop1.distinct >= total && hop2.distinct >= hop1.distinct) return "drained";
    const left = deadline - Date.now();
    if (left <= 0) return `gave up after ${opts["drain-seconds"]} s`;
    const wait = Math.min(15_000, left);
    const progress = await Promise.any([
      hop1.waitDistinct(hop1.distinct + 1, wait),
      hop2.waitDistinct(hop2.distinct + 1, wait),
    ]).then(
      () => true,
      () => false,
    );
    if (!progress) return `gave up: no progress for ${Math.round(wait / 1000)} s`;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
