// End to end, as a user would: run each seed example as its own process, talk to it with an
// outside Kafka client (Debian's kcat), and stop it with SIGTERM.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type LocalKafkaCluster, startLocalCluster } from "@faststream/kafka-local";
import { afterEach, describe, expect, it } from "vitest";

const examplesDir = fileURLToPath(new URL("..", import.meta.url));

interface Running {
  readonly child: ChildProcess;
  output: string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<number | null>;
}

function watch(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  const child = spawn(command, args, { cwd: examplesDir, env, stdio: ["ignore", "pipe", "pipe"] });
  const waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];
  const state: Running = {
    child,
    output: "",
    waitFor(text, timeoutMs = 60_000) {
      const test = (s: string): boolean => (typeof text === "string" ? s.includes(text) : text.test(s));
      if (test(state.output)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${text}; output:\n${state.output}`)),
          timeoutMs,
        );
        waiters.push({
          test,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    exit: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  const onData = (chunk: Buffer): void => {
    state.output += chunk.toString();
    for (const w of [...waiters]) {
      if (w.test(state.output)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return state;
}

async function kcatProduce(brokers: string, topic: string, body: string): Promise<void> {
  const child = spawn("kcat", ["-P", "-b", brokers, "-t", topic], { stdio: ["pipe", "ignore", "pipe"] });
  child.stdin.end(`${body}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  expect(code).toBe(0);
}

function startExample(script: string, brokers: string): Running {
  return watch(process.execPath, ["--conditions=@faststream/source", "--import", "tsx", script], {
    ...process.env,
    KAFKA_BROKERS: brokers,
  });
}

let cluster: LocalKafkaCluster | undefined;
let app: Running | undefined;
let consumer: Running | undefined;

afterEach(async () => {
  for (const p of [app, consumer]) {
    if (p && p.child.exitCode === null) {
      p.child.kill("SIGKILL");
      await p.exit;
    }
  }
  app = undefined;
  consumer = undefined;
  await cluster?.stop();
  cluster = undefined;
});

/** A fresh cluster per case, so each example joins an empty "registration" group. */
async function freshBrokers(): Promise<string> {
  const external = process.env["KAFKA_BROKERS"];
  if (external) return external;
  cluster = await startLocalCluster({ brokers: 3, topics: { "in-topic": 3, "out-topic": 3 } });
  return cluster.bootstrapServers;
}

describe.each(["seed/kafkajs.ts", "seed/confluent.ts", "seed/decorators.ts"])("example %s", (script) => {
  it("answers kcat on out-topic, logs a validation error with its location, and stops on SIGTERM", async () => {
    const brokers = await freshBrokers();
    app = startExample(script, brokers);
    await app.waitFor("FastStream app started");

    await kcatProduce(brokers, "in-topic", '{"user":"John"}');
    await app.waitFor(/ERROR\s+in-topic\[\d\]@\d+ Body failed validation: user_id/);

    await kcatProduce(brokers, "in-topic", '{"user":"John","user_id":1}');
    consumer = watch("kcat", ["-C", "-b", brokers, "-t", "out-topic", "-o", "beginning", "-u", "-f", "reply: %s\n"]);
    await consumer.waitFor("reply: User: 1 - John registered");

    app.child.kill("SIGTERM");
    expect(await app.exit).toBe(0);
    expect(app.output).toContain("FastStream app stopped");
  });
});
