import { silentLogger } from "@faststream/core";
import { describe, expect, it } from "vitest";
import { KafkaBrokerBase, MemoryDriver } from "../src/index.js";
import { settled } from "./turns.js";

/** The in-memory driver with a producer that finishes its own setup only when told. */
class SlowSetupDriver extends MemoryDriver {
  readonly calls: string[] = [];
  #release!: () => void;
  readonly #ready = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  override async connect(): Promise<void> {
    this.calls.push("connect");
    await super.connect();
  }

  ready(): Promise<void> {
    this.calls.push("ready");
    return this.#ready;
  }

  release(): void {
    this.#release();
  }
}

describe("the driver's ready()", () => {
  it("connect() and start() resolve only once the producer can deliver", async () => {
    for (const how of ["connect", "start"] as const) {
      const driver = new SlowSetupDriver();
      const broker = new KafkaBrokerBase("localhost:9092", { logger: silentLogger }, () => driver);
      const pending = how === "connect" ? broker.connect() : broker.start();
      expect(await settled(pending)).toBe(false);
      expect(driver.calls).toEqual(["connect", "ready"]);
      driver.release();
      await pending;
      await broker.stop();
    }
  });

  it("start() lets subscribers join while the producer finishes its setup", async () => {
    const driver = new SlowSetupDriver();
    const broker = new KafkaBrokerBase("localhost:9092", { logger: silentLogger }, () => driver);
    const sub = broker.subscriber("orders", { groupId: "g" }).handle(() => {});
    const starting = broker.start();
    await expect.poll(() => sub.running).toBe(true);
    expect(await settled(starting)).toBe(false);
    driver.release();
    await starting;
    await broker.stop();
  });
});
