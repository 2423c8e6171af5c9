import { describe, expect, it } from "vitest";
import type { OutgoingRecord, TopicPartition } from "../driver.js";
import { partitionForKey } from "../murmur2.js";
import { MemoryCluster, type MemoryMember } from "./cluster.js";

const rec = (topic: string, key: string | Buffer | null, extra: Partial<OutgoingRecord> = {}): OutgoingRecord => ({
  topic,
  key,
  value: Buffer.from("v"),
  headers: {},
  ...extra,
});

const label = (tps: readonly TopicPartition[]): string[] => tps.map((tp) => `${tp.topic}[${tp.partition}]`);

/** A group member that records calls in a shared log; `revoke` can be held open by a gate. */
class FakeMember implements MemoryMember {
  readonly assignments: string[][] = [];
  gate: Promise<void> | undefined;
  #onAssign: (() => void) | undefined;

  constructor(
    readonly id: string,
    readonly wants: (topic: string) => boolean,
    readonly log: string[] = [],
  ) {}

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.log.push(`${this.id}.assign`);
    this.assignments.push(label(partitions));
    this.#onAssign?.();
  }

  async revoke(): Promise<void> {
    this.log.push(`${this.id}.revoke`);
    if (this.gate) await this.gate;
    this.log.push(`${this.id}.revoked`);
  }

  /** Resolves on the next `assign` call. */
  nextAssign(): Promise<void> {
    return new Promise((resolve) => {
      this.#onAssign = resolve;
    });
  }

  get current(): string[] | undefined {
    return this.assignments.at(-1);
  }
}

describe("MemoryCluster: logs", () => {
  it("creates topics on first use with the default partition count", () => {
    const cluster = new MemoryCluster({ defaultPartitions: 3 });
    expect(cluster.topics()).toEqual([]);
    expect(cluster.partitions("auto")).toBe(3);
    cluster.createTopic("big", 8);
    cluster.createTopic("big", 2);
    expect(cluster.partitions("big")).toBe(8);
    expect(cluster.topics()).toEqual(["auto", "big"]);
    expect(new MemoryCluster().partitions("t")).toBe(1);
  });

  it("partitions keyed records with murmur2 like Kafka's default partitioner", () => {
    const cluster = new MemoryCluster({ defaultPartitions: 6 });
    const keys = ["a", "b", "user-1", "user-2", "order-42", "zé", "", "k".repeat(33)];
    const metas = cluster.append(keys.map((k) => rec("t", k)));
    expect(metas.map((m) => m.partition)).toEqual(keys.map((k) => partitionForKey(k, 6)));
    expect(new Set(metas.map((m) => m.partition)).size).toBeGreaterThan(1);
    const [bufferMeta] = cluster.append([rec("t", Buffer.from("user-1"))]);
    expect(bufferMeta!.partition).toBe(partitionForKey("user-1", 6));
  });

  it("spreads records without a key round-robin", () => {
    const cluster = new MemoryCluster({ defaultPartitions: 3 });
    const metas = cluster.append([rec("t", null), rec("t", null), rec("t", null), rec("t", null)]);
    expect(metas.map((m) => m.partition)).toEqual([0, 1, 2, 0]);
  });

  it("honours an explicit partition and rejects one out of bounds", () => {
    const cluster = new MemoryCluster({ defaultPartitions: 3 });
    expect(cluster.append([rec("t", "a", { partition: 2 })])[0]!.partition).toBe(2);
    expect(() => cluster.append([rec("t", "a", { partition: 3 })])).toThrow(/no partition 3/);
    expect(() => cluster.append([rec("t", null, { partition: -1 })])).toThrow(/no partition -1/);
    expect(cluster.endOffset("t", 2)).toBe(1);
  });

  it("assigns consecutive offsets per partition and reads them back", () => {
    const cluster = new MemoryCluster({ defaultPartitions: 2 });
    const metas = cluster.append([
      rec("t", "k", { partition: 0, headers: { h: "text", b: Buffer.from([1]) }, timestamp: "1700000000000" }),
      rec("t", null, { partition: 1 }),
      rec("t", "k2", { partition: 0, value: null }),
    ]);
    expect(metas).toEqual([
      { topic: "t", partition: 0, offset: "0" },
      { topic: "t", partition: 1, offset: "0" },
      { topic: "t", partition: 0, offset: "1" },
    ]);
    expect(cluster.endOffset("t", 0)).toBe(2);
    expect(cluster.endOffset("t", 1)).toBe(1);
    expect(cluster.endOffset("missing", 0)).toBe(0);
    const [first, second] = cluster.read("t", 0, 0, 10);
    expect(first!.key).toEqual(Buffer.from("k"));
    expect(first!.offset).toBe("0");
    expect(first!.timestamp).toBe("1700000000000");
    expect(first!.headers).toEqual({ h: Buffer.from("text"), b: Buffer.from([1]) });
    expect(second!.value).toBeNull();
    expect(second!.offset).toBe("1");
    expect(Number(second!.timestamp)).toBeGreaterThan(0);
    expect(cluster.read("t", 0, 1, 10).map((r) => r.offset)).toEqual(["1"]);
    expect(cluster.read("t", 0, 0, 1)).toHaveLength(1);
    expect(cluster.read("t", 0, 2, 10)).toEqual([]);
    expect(cluster.read("missing", 0, 0, 10)).toEqual([]);
  });

  it("resolves changed() on the next append and on wake()", async () => {
    const cluster = new MemoryCluster();
    let woken = false;
    const changed = cluster.changed().then(() => {
      woken = true;
    });
    await Promise.resolve();
    expect(woken).toBe(false);
    cluster.append([rec("t", null)]);
    await changed;
    expect(woken).toBe(true);
    const again = cluster.changed();
    cluster.wake();
    await again;
  });

  it("keeps committed offsets per group", () => {
    const cluster = new MemoryCluster();
    expect(cluster.committed("g1", "t", 0)).toBeUndefined();
    cluster.commit("g1", [
      { topic: "t", partition: 0, offset: "5" },
      { topic: "t", partition: 1, offset: "2" },
    ]);
    cluster.commit("g1", [{ topic: "t", partition: 0, offset: "7" }]);
    expect(cluster.committed("g1", "t", 0)).toBe(7);
    expect(cluster.committed("g1", "t", 1)).toBe(2);
    expect(cluster.committed("g2", "t", 0)).toBeUndefined();
  });
});

describe("MemoryCluster: groups", () => {
  it("gives a lone member every partition it wants", async () => {
    const cluster = new MemoryCluster();
    cluster.createTopic("t", 3);
    cluster.createTopic("other", 2);
    const m1 = new FakeMember("m1", (t) => t === "t");
    await cluster.join("g", m1);
    expect(m1.assignments).toEqual([["t[0]", "t[1]", "t[2]"]]);
  });

  it("deals partitions round-robin among the members that want each topic", async () => {
    const cluster = new MemoryCluster();
    cluster.createTopic("a", 2);
    cluster.createTopic("b", 2);
    const m1 = new FakeMember("m1", (t) => t === "a");
    const m2 = new FakeMember("m2", (t) => t === "a" || t === "b");
    const m3 = new FakeMember("m3", () => false);
    await cluster.join("g", m1);
    await cluster.join("g", m2);
    await cluster.join("g", m3);
    expect(m1.current).toEqual(["a[0]"]);
    expect(m2.current).toEqual(["a[1]", "b[0]", "b[1]"]);
    expect(m3.current).toEqual([]);
  });

  it("revokes every member, awaiting the revocations, before assigning", async () => {
    const cluster = new MemoryCluster();
    cluster.createTopic("t", 4);
    const log: string[] = [];
    const m1 = new FakeMember("m1", () => true, log);
    const m2 = new FakeMember("m2", () => true, log);
    await cluster.join("g", m1);
    log.length = 0;
    let open!: () => void;
    m1.gate = new Promise((resolve) => {
      open = resolve;
    });
    const joined = cluster.join("g", m2);
    open();
    await joined;
    expect(log).toEqual(["m1.revoke", "m2.revoke", "m2.revoked", "m1.revoked", "m1.assign", "m2.assign"]);
    expect(m1.current).toEqual(["t[0]", "t[2]"]);
    expect(m2.current).toEqual(["t[1]", "t[3]"]);
  });

  it("gives a leaving member's partitions to those who stay", async () => {
    const cluster = new MemoryCluster();
    cluster.createTopic("t", 4);
    const m1 = new FakeMember("m1", () => true);
    const m2 = new FakeMember("m2", () => true);
    await cluster.join("g", m1);
    await cluster.join("g", m2);
    const m2Calls = m2.assignments.length;
    await cluster.leave("g", m2);
    expect(m1.current).toEqual(["t[0]", "t[1]", "t[2]", "t[3]"]);
    expect(m2.assignments).toHaveLength(m2Calls);
  });

  it("keeps groups independent", async () => {
    const cluster = new MemoryCluster();
    cluster.createTopic("t", 2);
    const a = new FakeMember("a", () => true);
    const b = new FakeMember("b", () => true);
    await cluster.join("g1", a);
    await cluster.join("g2", b);
    expect(a.current).toEqual(["t[0]", "t[1]"]);
    expect(b.current).toEqual(["t[0]", "t[1]"]);
  });

  it("rebalances groups whose members want a newly created topic", async () => {
    const cluster = new MemoryCluster();
    const m1 = new FakeMember("m1", (t) => t.startsWith("orders."));
    await cluster.join("g", m1);
    expect(m1.current).toEqual([]);
    cluster.createTopic("payments", 1);
    // a rebalance queued behind any the unwanted topic might have started
    await cluster.leave("g", new FakeMember("stranger", () => true));
    expect(m1.assignments).toHaveLength(2);
    const assigned = m1.nextAssign();
    cluster.createTopic("orders.eu", 2);
    await assigned;
    expect(m1.current).toEqual(["orders.eu[0]", "orders.eu[1]"]);
    expect(m1.assignments).toHaveLength(3);
  });
});
