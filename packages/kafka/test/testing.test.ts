import { FastStream, silentLogger } from "@faststream/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { HandlerFailedError, KafkaBrokerBase, type KafkaDriver, MemoryCluster, TestKafkaBroker } from "../src/index.js";

/** A broker whose real transport must never be used in these tests. */
function makeBroker(): KafkaBrokerBase {
  const unreachable = (): never => {
    throw new Error("the real transport was used");
  };
  const driver = {
    capabilities: {
      name: "fake-network",
      staticMembership: false,
      maxPollInterval: false,
      assignmentStrategies: ["roundrobin"],
      patternPicksUpNewTopics: false,
      network: true,
    },
    connect: unreachable,
    disconnect: unreachable,
    send: unreachable,
    createConsumer: unreachable,
    ping: unreachable,
  } as unknown as KafkaDriver;
  return new KafkaBrokerBase("localhost:9092", { logger: silentLogger }, () => driver);
}

const User = z.object({ user: z.string(), user_id: z.number() });

describe("TestKafkaBroker", () => {
  it("delivers published messages to handlers in memory and records calls and results", async () => {
    const broker = makeBroker();
    const handleUser = broker
      .subscriber("in-topic", { schema: User })
      .publisher("out-topic")
      .handle(({ user, user_id }) => `User: ${user_id} - ${user} registered`);
    const out = broker.subscriber("out-topic", { codec: "string" }).handle(() => {});
    await TestKafkaBroker.run(broker, async (tb) => {
      await broker.publish({ user: "John", user_id: 1 }, "in-topic");
      expect(tb.calls(handleUser)).toHaveLength(1);
      expect(tb.calls(handleUser)[0]).toMatchObject({
        body: { user: "John", user_id: 1 },
        result: "User: 1 - John registered",
      });
      const [reply] = await tb.waitForCall(out);
      expect(reply!.body).toBe("User: 1 - John registered");
      expect(tb.published("out-topic").map((r) => r.body)).toEqual(["User: 1 - John registered"]);
    });
  });

  it("surfaces a handler's error to the publishing test, and validation errors too", async () => {
    const broker = makeBroker();
    broker.subscriber("boom").handle(() => {
      throw new RangeError("bad");
    });
    broker.subscriber("typed", { schema: User }).handle(() => {});
    await TestKafkaBroker.run(broker, async () => {
      const err = await broker.publish({}, "boom").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HandlerFailedError);
      expect((err as Error).cause).toBeInstanceOf(RangeError);
      await expect(broker.publish({ user: "x" }, "typed")).resolves.toMatchObject({ topic: "typed" });
    });
  });

  it("restores the broker's transport afterwards and can be entered again", async () => {
    const broker = makeBroker();
    const sub = broker.subscriber("t", { codec: "string" }).handle(() => {});
    for (const round of [1, 2]) {
      const tb = new TestKafkaBroker(broker);
      await tb.start();
      expect(broker.driverName).toBe("memory");
      await broker.publish(`round ${round}`, "t");
      expect(tb.calls(sub).map((c) => c.body)).toEqual([`round ${round}`]);
      await tb.stop();
      expect(broker.driverName).toBe("fake-network");
    }
  });

  it("gives one delivery per consumer group and arrays to batch subscribers", async () => {
    const broker = makeBroker();
    const a1 = broker.subscriber("events", { groupId: "a" }).handle(() => {});
    const a2 = broker.subscriber("events", { groupId: "a" }).handle(() => {});
    const b = broker.subscriber("events", { groupId: "b" }).handle(() => {});
    const batch = broker.subscriber("events", { groupId: "c", batch: true }).handle(() => {});
    await TestKafkaBroker.run(broker, async (tb) => {
      for (const n of [1, 2, 3]) await broker.publish({ n }, "events");
      expect(tb.calls(a1).length + tb.calls(a2).length).toBe(3);
      expect(tb.calls(b)).toHaveLength(3);
      const batches = tb.calls(batch);
      expect(batches.flatMap((c) => c.body as unknown[])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(Array.isArray(batches[0]!.message)).toBe(true);
    });
  });

  it("routes by pattern and by partition", async () => {
    const broker = makeBroker();
    const cluster = new MemoryCluster();
    cluster.createTopic("orders", 3);
    const eu = broker.subscriber("region.{name}", { codec: "string" }).handle((_b, m) => m.params.name);
    const p2 = broker
      .subscriber({ partitions: [{ topic: "orders", partition: 2 }] }, { codec: "string" })
      .handle(() => {});
    await TestKafkaBroker.run(
      broker,
      async (tb) => {
        await broker.publish("x", "region.eu");
        expect(tb.calls(eu)[0]!.result).toBe("eu");
        for (const partition of [0, 1, 2]) await broker.publish(`p${partition}`, "orders", { partition });
        expect(tb.calls(p2).map((c) => c.body)).toEqual(["p2"]);
      },
      { cluster },
    );
  });

  it("waitForCall times out with a clear error", async () => {
    const broker = makeBroker();
    const sub = broker.subscriber("quiet").handle(() => {});
    await TestKafkaBroker.run(broker, async (tb) => {
      await expect(tb.waitForCall(sub, { timeoutMs: 50 })).rejects.toThrow(/expected 1 handler call/);
    });
  });

  it("works with the FastStream app lifecycle and `await using`", async () => {
    const broker = makeBroker();
    const app = new FastStream(broker, { logger: silentLogger });
    const sub = broker.subscriber("t").handle((b) => b);
    {
      await using tb = new TestKafkaBroker(broker);
      tb.enter();
      await app.start();
      await broker.publish({ ok: true }, "t");
      expect(tb.calls(sub)[0]!.result).toEqual({ ok: true });
      await app.stop();
    }
    expect(broker.driverName).toBe("fake-network");
  });
});
