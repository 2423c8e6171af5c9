/**
 * A small consumer app the fault suite runs as a child process (to kill it with SIGKILL):
 *
 *   node --conditions=@faststream/source --import tsx fault-worker.ts \
 *     <adapter> <brokers> <topic> <group> [member] [subscriber-options-json] [work-ms]
 *
 * Each handler call takes `work-ms` (simulated work). For each handled message it writes one JSON line `{"key","seq","partition","offset"}` to
 * stdout, synchronously and before the handler returns (so before the message's offset can be
 * committed: a message whose offset was committed has always been reported). It writes
 * `{"ready":true}` once it joined its group. SIGTERM stops it gracefully (in-flight handlers
 * finish, offsets are committed, it leaves the group); it also stops when its parent goes away.
 * Its own log lines (warnings and errors) go to stderr.
 */
import { writeSync } from "node:fs";
import type { KafkaMessage, KafkaSubscriberOptions } from "@faststream/kafka";
import { adapterName, loadAdapter } from "./adapters.js";

const USAGE = "usage: fault-worker.ts <adapter> <brokers> <topic> <group> [member] [subscriber-options-json] [work-ms]";

const [adapter, brokers, topic, group, member = "worker", optionsJson = "{}", work = "0"] = process.argv.slice(2);
const workMs = Number(work);
if (!brokers || !topic || !group) {
  console.error(USAGE);
  process.exit(2);
}

const line = (value: object): void => {
  writeSync(1, `${JSON.stringify(value)}\n`);
};

const make = await loadAdapter(adapterName(adapter));
const broker = make(brokers, { clientId: member, logLevel: "warn" });
const options = JSON.parse(optionsJson) as KafkaSubscriberOptions;
broker
  .subscriber(topic, { ...options, groupId: group })
  .handle(async (body: unknown, message: KafkaMessage<unknown>) => {
    const { key, seq } = body as { key: string; seq: number };
    // Simulated work: the handler is still running when the worker gets killed.
    if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
    line({ key, seq, partition: message.partition, offset: message.offset });
  });

let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await broker.stop();
  line({ stopped: true });
  process.exit(code);
};
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
// The parent holds the other end of the IPC channel: when it exits, so does this worker.
process.on("disconnect", () => void stop(1));

await broker.start();
line({ ready: true });
