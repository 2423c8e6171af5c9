import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { KafkaBrokerBase, type KafkaDriver, MemoryCluster, MemoryDriver, TestKafkaBroker } from "../src/index.js";

describe("logging with pino", () => {
  it("takes a pino logger as is; lines about a message name topic, partition, offset, group and message id", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: "debug" }, sink);
    const cluster = new MemoryCluster();
    const broker = new KafkaBrokerBase("localhost:9092", { logger }, (): KafkaDriver => new MemoryDriver(cluster));
    broker.subscriber("orders", { groupId: "billing" }).handle((_body, message) => {
      message.logger.info({ step: "charge" }, "charging");
      throw new Error("card declined");
    });
    await TestKafkaBroker.run(
      broker,
      async () => {
        await broker.publish({ id: 1 }, "orders").catch(() => undefined);
      },
      { cluster },
    );
    const charging = lines.find((l) => l["msg"] === "charging");
    expect(charging).toMatchObject({
      topic: "orders",
      partition: 0,
      offset: 0,
      group: "billing",
      messageId: "orders-0-0",
      step: "charge",
      level: 30,
    });
    const failure = lines.find((l) => String(l["msg"]).startsWith("handler failed"));
    expect(failure).toMatchObject({ topic: "orders", partition: 0, offset: 0, group: "billing", level: 50 });
    expect((failure!["err"] as { message: string }).message).toBe("card declined");
  });
});
