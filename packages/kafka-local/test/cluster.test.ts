import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { afterEach, describe, expect, it } from "vitest";
import {
  ApiKey,
  LocalClusterClient,
  LocalClusterError,
  type LocalKafkaCluster,
  serveControl,
  startLocalCluster,
} from "../src/index.js";

const clusters: LocalKafkaCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.stop()));
});

async function cluster(brokers = 3, topics?: Record<string, number>): Promise<LocalKafkaCluster> {
  const c = await startLocalCluster({ brokers, ...(topics ? { topics } : {}) });
  clusters.push(c);
  return c;
}

function client(c: { bootstrapServers: string }): Kafka {
  return new Kafka({
    brokers: c.bootstrapServers.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50 },
  });
}

describe("startLocalCluster", () => {
  it("serves N brokers on loopback with the topics asked for", async () => {
    const c = await cluster(3, { orders: 5 });
    expect(c.bootstrapServers.split(",")).toHaveLength(3);
    for (const b of c.bootstrapServers.split(",")) expect(b).toMatch(/^127\.0\.0\.1:\d+$/);
    const admin = client(c).admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ["orders"] });
    expect(meta.topics[0]?.partitions).toHaveLength(5);
    const { brokers } = await admin.describeCluster();
    expect(brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    await admin.disconnect();
  });

  it("round-trips a record through a real Kafka client", async () => {
    const c = await cluster(1, { t: 1 });
    const kafka = client(c);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "t", messages: [{ key: "k", value: "v", headers: { h: Buffer.from([0xff]) } }] });
    await producer.disconnect();
    const consumer = kafka.consumer({
      groupId: "g",
      sessionTimeout: 3000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    const got = await new Promise<{ key: string; value: string; header: Buffer }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({ key: String(message.key), value: String(message.value), header: message.headers?.["h"] as Buffer }),
      });
    });
    await consumer.disconnect();
    expect(got.key).toBe("k");
    expect(got.value).toBe("v");
    expect([...got.header]).toEqual([0xff]);
  });

  it("rejects bad arguments with a clear error", async () => {
    await expect(startLocalCluster({ brokers: 0 })).rejects.toThrow(/brokers must be an integer/);
    const c = await cluster(1);
    expect(() => c.createTopicSync("", 1)).toThrow(/must not be empty/);
    expect(() => c.createTopicSync("x", 0)).toThrow(/positive integer/);
    c.createTopicSync("again", 2);
    expect(() => c.createTopicSync("again", 2)).not.toThrow();
  });

  it("fails operations after stop, and stop is idempotent", async () => {
    const c = await startLocalCluster({ brokers: 1 });
    await c.stop();
    await c.stop();
    await expect(c.createTopic("t", 1)).rejects.toBeInstanceOf(LocalClusterError);
  });

  it("takes brokers down and up again", async () => {
    const c = await cluster(1, { t: 1 });
    await c.brokerDown(1);
    const admin = new Kafka({
      brokers: c.bootstrapServers.split(","),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 300,
      retry: { retries: 0 },
    }).admin();
    await expect(admin.connect()).rejects.toThrow();
    await c.brokerUp(1);
    await admin.connect();
    await admin.disconnect();
  });

  it("injects request errors that a client sees", async () => {
    const c = await cluster(1, { t: 1 });
    // Four UNKNOWN_SERVER_ERRORs (code -1 is not retriable) for Produce: the first send fails.
    await c.pushRequestErrors(ApiKey.Produce, [-1, -1, -1, -1]);
    const producer = new Kafka({
      brokers: c.bootstrapServers.split(","),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).producer();
    await producer.connect();
    await expect(producer.send({ topic: "t", messages: [{ value: "x" }] })).rejects.toThrow();
    // The three errors left are dropped: the next send goes through.
    await c.clearRequestErrors(ApiKey.Produce);
    await producer.send({ topic: "t", messages: [{ value: "y" }] });
    await producer.disconnect();
  });
});

describe("control endpoint", () => {
  it("drives the cluster from another handle", async () => {
    const c = await cluster(2);
    const server = await serveControl(c);
    try {
      const remote = await LocalClusterClient.connect(server.url);
      expect(remote.bootstrapServers).toBe(c.bootstrapServers);
      await remote.createTopic("remote-topic", 4);
      const admin = client(c).admin();
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: ["remote-topic"] });
      expect(meta.topics[0]?.partitions).toHaveLength(4);
      await admin.disconnect();
      await remote.setBrokerRtt(1, 0);
      await remote.setPartitionLeader("remote-topic", 0, 2);
      await remote.pushRequestErrors(ApiKey.Fetch, [7]);
      await remote.clearRequestErrors(ApiKey.Fetch);
      await expect(remote.createTopic("", 1)).rejects.toThrow(/"name" must be a non-empty string/);
      await expect(remote.brokerDown(99)).rejects.toBeInstanceOf(LocalClusterError);
    } finally {
      await server.close();
    }
  });
});

describe("CLI", () => {
  it("prints the bootstrap address, serves, and exits 0 on SIGTERM", async () => {
    const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", cli, "--brokers", "2", "--topic", "cli-topic:3"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const ready = new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /KAFKA_BROKERS=(\S+)/.exec(out);
        if (m && out.includes("serving")) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`CLI exited early with ${code}: ${out}`)));
    });
    const brokers = await ready;
    expect(brokers.split(",")).toHaveLength(2);
    expect(out).toMatch(/KAFKA_LOCAL_CONTROL=http:\/\/127\.0\.0\.1:\d+/);
    const admin = client({ bootstrapServers: brokers }).admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ["cli-topic"] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);
    await admin.disconnect();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal, stderr })),
    );
    child.kill("SIGTERM");
    const { code, signal, stderr: err } = await exited;
    // The signal and stderr show in the failure message if it did not exit cleanly.
    expect(code, `exit signal ${signal}, stderr: ${err}`).toBe(0);
  });
});
