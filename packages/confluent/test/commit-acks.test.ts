import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { CommitAcks, CommitNotAcknowledgedError } from "../src/commit-acks.js";

/** Stands in for the stream of commit reports (the pairing logic is ours, not the client's). */
function reports(acks: CommitAcks) {
  const source = new EventEmitter();
  acks.attach(source as never);
  return (
    err: (Error & { code?: number }) | undefined,
    offsets: { topic: string; partition: number; offset?: number }[],
  ) => source.emit("offset.commit", err, offsets);
}

describe("CommitAcks", () => {
  it("resolves a commit only when its own report arrives, whatever the partition order", async () => {
    const acks = new CommitAcks(5_000);
    const report = reports(acks);
    let done = false;
    const pending = acks
      .expect([
        { topic: "t", partition: 0, offset: "5" },
        { topic: "t", partition: 1, offset: "9" },
      ])
      .then(() => {
        done = true;
      });
    report(undefined, [{ topic: "t", partition: 0, offset: 6 }]);
    await Promise.resolve();
    expect(done).toBe(false);
    report(undefined, [
      { topic: "t", partition: 1, offset: 9 },
      { topic: "t", partition: 0, offset: 5 },
    ]);
    await pending;
    expect(done).toBe(true);
  });

  it("rejects with the broker's error code when the commit was refused", async () => {
    const acks = new CommitAcks(5_000);
    const report = reports(acks);
    const pending = acks.expect([{ topic: "t", partition: 0, offset: "1" }]);
    report(Object.assign(new Error("Broker: Group rebalance in progress"), { code: 27 }), [
      { topic: "t", partition: 0, offset: 1 },
    ]);
    await expect(pending).rejects.toMatchObject({ name: "CommitNotAcknowledgedError", code: 27 });
  });

  it("pairs identical commits first-in first-out and fails the rest on disconnect", async () => {
    const acks = new CommitAcks(5_000);
    const report = reports(acks);
    const first = acks.expect([{ topic: "t", partition: 0, offset: "1" }]);
    const second = acks.expect([{ topic: "t", partition: 0, offset: "1" }]);
    report(undefined, [{ topic: "t", partition: 0, offset: 1 }]);
    await expect(first).resolves.toBeUndefined();
    acks.failAll("disconnected");
    await expect(second).rejects.toBeInstanceOf(CommitNotAcknowledgedError);
  });

  it("fails a commit whose report never comes after the timeout", async () => {
    const acks = new CommitAcks(20);
    reports(acks);
    await expect(acks.expect([{ topic: "t", partition: 0, offset: "1" }])).rejects.toThrow(/no answer .* within 20 ms/);
  });
});
