import { ContextRegistry, type Logger } from "@faststream/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Committer, type PartitionState, partitionStateKey } from "./committer.js";
import type { DriverConsumer, TopicPartitionOffset } from "./driver.js";
import { PartitionOffsets } from "./offsets.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

/** One partition and a consumer whose commits are recorded and answered at once (as librdkafka queues them). */
function setup() {
  const commits: { offsets: TopicPartitionOffset[]; acknowledged: boolean }[] = [];
  const consumer = {
    commit: async (offsets: readonly TopicPartitionOffset[], options?: { acknowledged?: boolean }) => {
      commits.push({ offsets: [...offsets], acknowledged: options?.acknowledged === true });
    },
  } as unknown as DriverConsumer;
  const offsets = new PartitionOffsets();
  const state: PartitionState = {
    offsets,
    origin: {
      topic: "t",
      partition: 0,
      groupId: "g",
      logger: quiet,
      context: new ContextRegistry(),
      params: {},
      settle: () => undefined,
    },
    round: 0,
    gone: false,
    detached: false,
  };
  const committer = new Committer({
    groupId: "g",
    logger: quiet,
    consumer: () => consumer,
    partitions: new Map([[partitionStateKey("t", 0), state]]),
  });
  let next = 0;
  /** Takes and settles the next record, then asks for a commit (as a settlement does). */
  const handled = () => {
    offsets.take(next);
    offsets.settle(next++);
    committer.request();
  };
  return { commits, committer, handled, committed: () => commits.map((c) => c.offsets[0]!.offset) };
}

describe("Committer", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "setImmediate", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("commits a burst of settlements once, after the turn", async () => {
    const t = setup();
    for (let i = 0; i < 5; i++) t.handled();
    expect(t.commits).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.committed()).toEqual(["5"]);
  });

  it("starts background commits at least 20 ms apart, even when each one ends at once", async () => {
    const t = setup();
    t.handled();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.committed()).toEqual(["1"]);
    // The first commit is done; a settlement in a later turn still waits for the spacing.
    t.handled();
    await vi.advanceTimersByTimeAsync(10);
    t.handled();
    await vi.advanceTimersByTimeAsync(9);
    expect(t.committed()).toEqual(["1"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.committed()).toEqual(["1", "3"]);
    // Settlements every millisecond for 100 ms: one commit per 20 ms, the last one covering all.
    for (let ms = 0; ms < 100; ms++) {
      t.handled();
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(20);
    expect(t.commits.length).toBeGreaterThanOrEqual(6);
    expect(t.commits.length).toBeLessThanOrEqual(8);
    expect(t.committed().at(-1)).toBe("103");
  });

  it("does not delay the final commit, which waits for the broker's answer", async () => {
    const t = setup();
    t.handled();
    await vi.advanceTimersByTimeAsync(0);
    t.handled();
    await t.committer.final();
    expect(t.commits.map((c) => [c.offsets[0]!.offset, c.acknowledged])).toEqual([
      ["1", false],
      ["2", true],
    ]);
  });
});
