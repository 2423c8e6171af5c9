/**
 * `pnpm bench`: runs every scenario for every variant against one local Kafka cluster (started
 * here, in this process), each variant in its own child process, alternating the order from run
 * to run, and prints medians with min-max and the ratios. Options:
 *   --scenarios pipeline,consume,publish,request,rss   --variants <names>   --runs 5
 *   --count 100000   --requests 5000   --concurrency 32   --rss-backlogs 50000,200000
 *   --name latest
 * Results (every sample) go to bench/results/<name>.json and the tables to bench/results/<name>.md.
 * With KAFKA_BROKERS set, that cluster is used instead of a local one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startLocalCluster } from "@faststream/kafka-local";
import { processCpuMs } from "./cpu.js";
import { fill, paddedBody, userBody, Watermarks } from "./data.js";
import { type BenchEvent, type BenchSettings, type Scenario, settingsEnv } from "./protocol.js";
import { cpuTable, ratios, type Sample, table } from "./report.js";
import { VARIANTS, type Variant } from "./variants.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
// `pnpm bench -- --runs 3` forwards literal "--" separators before the options: drop them.
const argv = process.argv.slice(2);
while (argv[0] === "--") argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    scenarios: { type: "string", default: "pipeline,consume,publish,request,rss" },
    variants: { type: "string", default: VARIANTS.map((v) => v.name).join(",") },
    runs: { type: "string", default: "5" },
    count: { type: "string", default: "100000" },
    requests: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "32" },
    "rss-backlogs": { type: "string", default: "50000,200000" },
    "rss-ms": { type: "string", default: "6000" },
    name: { type: "string", default: "latest" },
  },
});
const scenarios = args.scenarios.split(",") as Scenario[];
const variants = args.variants.split(",").map((name) => {
  const v = VARIANTS.find((x) => x.name === name);
  if (!v) throw new Error(`unknown variant ${name}; known: ${VARIANTS.map((x) => x.name).join(", ")}`);
  return v;
});
const runs = Number(args.runs);
const count = Number(args.count);
const logs = join(root, "results", "logs");
mkdirSync(logs, { recursive: true });

const cluster = process.env["KAFKA_BROKERS"] ? undefined : await startLocalCluster({ brokers: 3 });
const brokers = process.env["KAFKA_BROKERS"] ?? cluster!.bootstrapServers;
const createTopic = async (name: string, partitions: number): Promise<void> => {
  if (cluster) await cluster.createTopic(name, partitions);
};
const watermarks = new Watermarks(brokers);
await watermarks.connect();
let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${++seq}`;

/** What a run of a variant reported, and the CPU its process had used at each event (ms). */
interface RunEvents {
  readonly events: Map<string, BenchEvent>;
  readonly cpu: Map<string, number>;
}

/** Starts a variant and resolves with the events the scenario needs. */
async function runVariant(v: Variant, s: BenchSettings, label: string): Promise<RunEvents> {
  const log = createWriteStream(join(logs, `${label}.log`));
  // BENCH_NODE_ARGS passes extra Node flags to the contender, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const nodeArgs = (process.env["BENCH_NODE_ARGS"] ?? "").split(" ").filter(Boolean);
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, "--import", "tsx", join(here, "variants", v.script)],
    {
      cwd: root,
      env: { ...process.env, ...settingsEnv(s), ...v.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stderr?.pipe(log);
  const events = new Map<string, BenchEvent>();
  // Read as each event arrives, a few ms at most after the child wrote it: both edges of the
  // window lag alike, so its length moves by at most a few ms (about 1% of a consume window,
  // the shortest; well under for the others).
  const cpu = new Map<string, number>();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const want = (e: string) =>
    new Promise<BenchEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: no "${e}" within 180 s (see ${label}.log)`)), 180_000);
      const check = () => {
        const ev = events.get(e) ?? events.get("error");
        if (!ev) return;
        clearTimeout(timer);
        if (ev.event === "error") reject(new Error(`${label}: ${ev.message}`));
        else resolve(ev);
      };
      lines.on("line", check);
      void exited.then(() => {
        check();
        if (!events.has(e)) reject(new Error(`${label}: exited before "${e}" (see ${label}.log)`));
      });
    });
  const lines = createInterface({ input: child.stdout! });
  lines.on("line", (line) => {
    if (!line.startsWith("BENCH ")) return log.write(`${line}\n`);
    const ev = JSON.parse(line.slice(6)) as BenchEvent;
    const used = processCpuMs(child.pid);
    if (used !== undefined) cpu.set(ev.event, used);
    events.set(ev.event, ev);
  });
  try {
    switch (s.scenario) {
      case "pipeline": {
        const first = (await want("first")) as { t: number };
        const end = await watermarks.until(s.outTopic, s.count, 180_000);
        const used = processCpuMs(child.pid);
        if (used !== undefined) cpu.set("done", used);
        events.set("done", { event: "done", t: end, start: first.t, count: s.count });
        break;
      }
      case "consume":
        await want("first");
        await want("done");
        break;
      case "publish":
        await want("done");
        break;
      case "request":
        await want("latency");
        break;
      case "rss":
        await want("rss");
        break;
    }
  } finally {
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(killer);
    log.end();
  }
  return { events, cpu };
}

/**
 * The app process's CPU per message (µs, all its threads) over the measured window: from the
 * first message handled (pipeline, consume) or from `ready` (publish, which starts publishing
 * at once) to the end. Not for request and rss, which measure latency and memory.
 */
function cpuPerMessage(scenario: Scenario, { events, cpu }: RunEvents): number | undefined {
  const from = cpu.get(scenario === "publish" ? "ready" : "first");
  const to = cpu.get("done");
  const done = events.get("done") as Extract<BenchEvent, { event: "done" }> | undefined;
  if (from === undefined || to === undefined || !done) return undefined;
  return ((to - from) * 1000) / done.count;
}

/** One measured value from a run's events. */
function measure(scenario: Scenario, run: RunEvents): { value: number; extra?: number; cpuUs?: number } {
  const events = run.events;
  const cpuUs = cpuPerMessage(scenario, run);
  const m = measureValue(scenario, events);
  return cpuUs === undefined ? m : { ...m, cpuUs };
}

/** The scenario's figure: msgs/s, p50 ms (with p99), or peak MB. */
function measureValue(scenario: Scenario, events: Map<string, BenchEvent>): { value: number; extra?: number } {
  const done = events.get("done") as Extract<BenchEvent, { event: "done" }> | undefined;
  switch (scenario) {
    case "pipeline":
      return { value: (done!.count / (done!.t - done!.start!)) * 1000 };
    case "consume": {
      const first = events.get("first") as { t: number };
      // From the first message to the last: count-1 intervals.
      return { value: ((done!.count - 1) / (done!.t - first.t)) * 1000 };
    }
    case "publish":
      return { value: (done!.count / (done!.t - done!.start!)) * 1000 };
    case "request": {
      const l = events.get("latency") as Extract<BenchEvent, { event: "latency" }>;
      return { value: l.p50, extra: l.p99 };
    }
    case "rss": {
      const r = events.get("rss") as Extract<BenchEvent, { event: "rss" }>;
      return { value: r.peak / 2 ** 20 };
    }
  }
}

const base = (scenario: Scenario): Omit<BenchSettings, "inTopic" | "outTopic" | "groupId"> => ({
  scenario,
  brokers: brokers.split(","),
  count,
  payloadBytes: 100,
  concurrency: Number(args.concurrency),
  handlerDelayMs: 1,
  durationMs: Number(args["rss-ms"]),
});

const samples: Sample[] = [];
const started = Date.now();
for (const scenario of scenarios) {
  // Input prepared once per scenario (each run reads it with a fresh group).
  const inputs: { key: string; topic: string; count: number }[] = [];
  if (scenario === "pipeline" || scenario === "consume") {
    const topic = unique(`bench-${scenario}-in`);
    await createTopic(topic, 3);
    await fill(brokers, topic, 3, count, userBody);
    inputs.push({ key: scenario, topic, count });
  } else if (scenario === "rss") {
    for (const backlog of args["rss-backlogs"].split(",").map(Number)) {
      const topic = unique(`bench-rss-${backlog}`);
      await createTopic(topic, 64);
      await fill(brokers, topic, 64, backlog, (i) => paddedBody(i, 1024));
      inputs.push({ key: `rss@${backlog}`, topic, count: backlog });
    }
  } else {
    inputs.push({ key: scenario, topic: "", count: scenario === "request" ? Number(args.requests) : count });
  }
  for (const input of inputs) {
    for (let run = 1; run <= runs; run++) {
      // Alternate the order (A B C, C B A, ...) so drift in the machine spreads evenly.
      const order = run % 2 ? variants : [...variants].reverse();
      for (const v of order.filter((x) => x.scenarios.includes(scenario))) {
        const label = `${input.key}-${v.name}-${run}`;
        let inTopic = input.topic;
        if (!inTopic) {
          inTopic = unique(`bench-${scenario}`);
          await createTopic(inTopic, 3);
        }
        const outTopic = unique(`bench-${scenario}-out`);
        if (scenario === "pipeline") await createTopic(outTopic, 3);
        const settings: BenchSettings = {
          ...base(scenario),
          count: input.count,
          inTopic,
          outTopic,
          groupId: unique("g"),
        };
        try {
          const m = measure(scenario, await runVariant(v, settings, label));
          samples.push({ scenario: input.key, variant: v.name, run, ...m });
          const extra = m.extra !== undefined ? ` p99 ${m.extra.toFixed(2)}` : "";
          const used = m.cpuUs !== undefined ? `, CPU ${m.cpuUs.toFixed(2)} µs/msg` : "";
          console.error(`${label}: ${m.value.toFixed(scenario === "request" ? 2 : 0)}${extra}${used}`);
        } catch (err) {
          console.error(`${label}: FAILED ${(err as Error).message}`);
        }
      }
    }
  }
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
const md = [
  `Date: ${new Date().toISOString()}  `,
  `Machine: ${machine}  `,
  `Runs: ${runs} per variant, alternating order; ${count} messages; ${Math.round((Date.now() - started) / 1000)} s in all.`,
  "",
  table(samples, variants),
  "",
  ratios(samples, variants),
  "",
  cpuTable(samples, variants),
  "",
].join("\n");
mkdirSync(join(root, "results"), { recursive: true });
writeFileSync(
  join(root, "results", `${args.name}.json`),
  JSON.stringify({ date: new Date().toISOString(), machine, samples }, null, 2),
);
writeFileSync(join(root, "results", `${args.name}.md`), md);
console.log(md);
await watermarks.disconnect();
await cluster?.stop();
process.exit(0);
