/**
 * The framework's own CPU per message, without a client or a network: the pipeline scenario's
 * subscriber/publisher pair on the in-memory driver (`@faststream/kafka`'s MemoryDriver), next
 * to a hand-written loop doing the same data work on the same records (JSON.parse, the same
 * zod schema, the same output string written as UTF-8). Both run in this one process,
 * alternating, so the difference is what the framework adds: message objects, dispatch,
 * settlement and offsets, records, coalesced sends. With `--headers full` (the default) the
 * framework's records carry `content-type` and `correlation_id`, which the in-memory cluster
 * copies into Buffers as it stores them (what a client spends encoding them) while the hand
 * loop writes none: `--headers minimal` is the like-for-like figure.
 *
 * No cluster competes for the cores, but garbage collection still spreads the figures: on a
 * 2-vCPU machine the framework's own share read 1.9-3.9 µs per message across runs of the
 * same build. Compare builds over several runs, alternating. Usage:
 *   pnpm --filter @faststream/bench run overhead -- [--count 100000] [--rounds 7] [--headers full|minimal]
 */
import { parseArgs } from "node:util";
import { KafkaBrokerBase, MemoryCluster, MemoryDriver, type OutgoingRecord } from "@faststream/kafka";
import { z } from "zod";
import { userBody } from "./data.js";
import { registered } from "./protocol.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    count: { type: "string", default: "100000" },
    rounds: { type: "string", default: "7" },
    headers: { type: "string", default: "full" },
  },
});
const COUNT = Number(values.count);
const ROUNDS = Number(values.rounds);
const HEADERS = values.headers === "minimal" ? "minimal" : "full";
const PARTITIONS = 3;

const User = z.object({ user: z.string(), user_id: z.number().int() });

/** A cluster whose input topic holds COUNT pipeline bodies over 3 partitions. */
function filledCluster(): MemoryCluster {
  const cluster = new MemoryCluster({ defaultPartitions: PARTITIONS });
  cluster.createTopic("in", PARTITIONS);
  cluster.createTopic("out", PARTITIONS);
  const records: OutgoingRecord[] = [];
  for (let i = 0; i < COUNT; i++) records.push({ topic: "in", key: null, value: userBody(i), headers: {} });
  cluster.append(records);
  return cluster;
}

/** What one timed run cost. */
interface Sample {
  readonly ms: number;
  readonly cpuMs: number;
}

/** Calls `done` once COUNT records were written to the output topic. */
class CountingDriver extends MemoryDriver {
  #written = 0;
  constructor(
    cluster: MemoryCluster,
    private readonly done: () => void,
  ) {
    super(cluster);
  }

  override async send(records: readonly OutgoingRecord[]) {
    const metas = await super.send(records);
    for (const r of records) if (r.topic === "out" && ++this.#written === COUNT) this.done();
    return metas;
  }
}

/** The framework: from the first message handled to the last result written. */
async function framework(): Promise<Sample> {
  const cluster = filledCluster();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const broker = new KafkaBrokerBase(
    "memory:9092",
    { logLevel: "error", frameworkHeaders: HEADERS },
    () => new CountingDriver(cluster, finish),
  );
  let start: { t: number; cpu: NodeJS.CpuUsage } | undefined;
  broker
    .subscriber("in", { schema: User, groupId: "overhead", autoOffsetReset: "earliest" })
    .publisher("out")
    .handle(async (user) => {
      start ??= { t: performance.now(), cpu: process.cpuUsage() };
      return registered(user);
    });
  await broker.start();
  await finished;
  const sample = measureSince(start!);
  await broker.stop();
  return sample;
}

/** The same data work by hand: parse, validate, build, encode, write in batches. */
async function floor(): Promise<Sample> {
  const cluster = filledCluster();
  const start = { t: performance.now(), cpu: process.cpuUsage() };
  for (let p = 0; p < PARTITIONS; p++) {
    const input = cluster.read("in", p, 0, COUNT);
    const out: OutgoingRecord[] = [];
    for (const record of input) {
      const user = User.parse(JSON.parse(record.value!.toString("utf8")));
      out.push({
        topic: "out",
        key: null,
        // A string result is written as UTF-8 text, as the framework's codec writes it.
        value: Buffer.from(registered(user), "utf8"),
        headers: {},
      });
      if (out.length === 1000) cluster.append(out.splice(0));
    }
    cluster.append(out);
    // One turn of the event loop per partition, as a consumer's batches would give.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return measureSince(start);
}

function measureSince(start: { t: number; cpu: NodeJS.CpuUsage }): Sample {
  const cpu = process.cpuUsage(start.cpu);
  return { ms: performance.now() - start.t, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const fw: Sample[] = [];
const bare: Sample[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Alternating order, so drift of the machine spreads over both.
  if (r % 2 === 0) {
    fw.push(await framework());
    bare.push(await floor());
  } else {
    bare.push(await floor());
    fw.push(await framework());
  }
}

const perMessage = (samples: Sample[]) => ({
  rate: median(samples.map((s) => COUNT / (s.ms / 1000))),
  cpuUs: median(samples.map((s) => (s.cpuMs * 1000) / COUNT)),
});
const a = perMessage(fw);
const b = perMessage(bare);
console.log(`in-memory pipeline, ${COUNT} messages, ${ROUNDS} rounds, frameworkHeaders ${HEADERS} (medians)`);
console.log(`| | msgs/s | CPU µs/message |`);
console.log(`|---|---:|---:|`);
console.log(`| FastStream (memory driver) | ${Math.round(a.rate).toLocaleString("en")} | ${a.cpuUs.toFixed(2)} |`);
console.log(`| same work by hand | ${Math.round(b.rate).toLocaleString("en")} | ${b.cpuUs.toFixed(2)} |`);
console.log(`| framework's own | | ${(a.cpuUs - b.cpuUs).toFixed(2)} |`);
