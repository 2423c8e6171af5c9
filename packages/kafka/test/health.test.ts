import { FastStream, silentLogger } from "@faststream/core";
import { expect, it } from "vitest";
import type { ConsumerCallbacks, ConsumerSpec, DriverConsumer } from "../src/index.js";
import { KafkaBrokerBase, MemoryDriver } from "../src/index.js";

/** The in-memory driver, keeping each consumer's callbacks so a test can report a crash. */
class CrashableDriver extends MemoryDriver {
  readonly callbacks: ConsumerCallbacks[] = [];
  override createConsumer(spec: ConsumerSpec, callbacks: ConsumerCallbacks): DriverConsumer {
    this.callbacks.push(callbacks);
    return super.createConsumer(spec, callbacks);
  }
}

it("a crashed consumer stops its subscriber loudly and makes broker and app unhealthy", async () => {
  const driver = new CrashableDriver();
  const broker = new KafkaBrokerBase("localhost:9092", { logger: silentLogger }, () => driver);
  const app = new FastStream(broker, { logger: silentLogger });
  const sub = broker.subscriber("orders", { groupId: "g" }).handle(() => {});
  expect((await app.health()).healthy).toBe(false);
  await app.start();
  expect(await app.health()).toMatchObject({
    healthy: true,
    details: { state: "running", reachable: true, crashed: [] },
  });
  driver.callbacks[0]!.onCrash(new Error("fenced by another instance"));
  await expect.poll(() => sub.running).toBe(false);
  const report = await app.health();
  expect(report.healthy).toBe(false);
  expect(report.details["crashed"]).toEqual([{ subscriber: "orders", error: "fenced by another instance" }]);
  await app.stop();
});
