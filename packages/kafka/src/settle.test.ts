import { describe, expect, it } from "vitest";
import { BatchSettle, PublishSettle } from "./settle.js";

const meta = (offset: string) => ({ topic: "t", partition: 0, offset });

describe("PublishSettle", () => {
  it("resolves its promise with the record's metadata", async () => {
    const s = new PublishSettle();
    s.resolve(meta("4"));
    await expect(s.promise).resolves.toEqual(meta("4"));
  });

  it("rejects its promise with the failure, and each one is its own", async () => {
    const a = new PublishSettle();
    const b = new PublishSettle();
    a.reject(new Error("refused"));
    b.resolve(meta("1"));
    await expect(a.promise).rejects.toThrow("refused");
    await expect(b.promise).resolves.toEqual(meta("1"));
  });
});

describe("BatchSettle", () => {
  it("resolves with every record's metadata in record order, whatever order they settle in", async () => {
    const batch = new BatchSettle(3);
    const settles = [0, 1, 2].map((i) => batch.record(i));
    settles[2]!.resolve(meta("12"));
    settles[0]!.resolve(meta("10"));
    let done = false;
    void batch.promise.then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    settles[1]!.resolve(meta("11"));
    await expect(batch.promise).resolves.toEqual([meta("10"), meta("11"), meta("12")]);
  });

  it("rejects with the first failure; later outcomes change nothing", async () => {
    const batch = new BatchSettle(3);
    batch.record(1).reject(new Error("first"));
    batch.record(0).reject(new Error("second"));
    batch.record(2).resolve(meta("2"));
    await expect(batch.promise).rejects.toThrow("first");
  });

  it("resolves at once with no records", async () => {
    await expect(new BatchSettle(0).promise).resolves.toEqual([]);
  });
});
