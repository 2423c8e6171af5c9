import { describe, expect, it } from "vitest";
import { type CoalescerLimits, SendCoalescer } from "./coalescer.js";
import type { OutgoingRecord, RecordMetadata, Settle } from "./driver.js";

const record = (n: number): OutgoingRecord => ({
  topic: "t",
  key: null,
  value: Buffer.from(String(n)),
  headers: {},
});

/** A send function whose calls are held until the test settles them. */
function heldSends() {
  const calls: { records: OutgoingRecord[]; settle(err?: Error): void }[] = [];
  let inFlight = 0;
  let peak = 0;
  const send = (records: OutgoingRecord[]): Promise<RecordMetadata[]> => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    return new Promise((resolve, reject) => {
      calls.push({
        records,
        settle(err) {
          inFlight--;
          if (err) reject(err);
          else resolve(records.map((r) => ({ topic: r.topic, partition: 0, offset: r.value!.toString() })));
        },
      });
    });
  };
  return { calls, send, peak: () => peak };
}

const limits =
  (over: Partial<CoalescerLimits>): (() => CoalescerLimits) =>
  () => ({ maxRecords: 5_000, maxBytes: 1 << 20, maxInFlight: 1, ...over });

/** Resolves once `cond` holds, checking after each macrotask turn. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe("SendCoalescer", () => {
  it("sends one turn's records together, and what arrives meanwhile in the next send once the first is done", async () => {
    const held = heldSends();
    const c = new SendCoalescer(held.send, limits({}));
    const first = [0, 1, 2].map((n) => c.send(record(n)));
    await until(() => held.calls.length === 1);
    const later = [3, 4].map((n) => c.send(record(n)));
    await new Promise((r) => setImmediate(r));
    expect(held.calls).toHaveLength(1);
    held.calls[0]!.settle();
    expect((await Promise.all(first)).map((m) => m.offset)).toEqual(["0", "1", "2"]);
    await until(() => held.calls.length === 2);
    expect(held.calls[1]!.records.map((r) => r.value!.toString())).toEqual(["3", "4"]);
    held.calls[1]!.settle();
    expect((await Promise.all(later)).map((m) => m.offset)).toEqual(["3", "4"]);
    await c.idle();
  });

  it("caps sends in records and keeps publish order across them", async () => {
    const held = heldSends();
    const c = new SendCoalescer(held.send, limits({ maxRecords: 4, maxInFlight: 3 }));
    const all = Array.from({ length: 10 }, (_, n) => c.send(record(n)));
    await until(() => held.calls.length === 3);
    expect(held.calls.map((call) => call.records.map((r) => Number(r.value!.toString())))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    for (const call of held.calls) call.settle();
    expect((await Promise.all(all)).map((m) => m.offset)).toEqual(all.map((_, n) => String(n)));
  });

  it("never has more sends in flight than allowed", async () => {
    const held = heldSends();
    const c = new SendCoalescer(held.send, limits({ maxRecords: 1, maxInFlight: 2 }));
    const all = Array.from({ length: 7 }, (_, n) => c.send(record(n)));
    let settled = 0;
    while (settled < 7) {
      await until(() => held.calls.length > settled);
      held.calls[settled++]!.settle();
    }
    await Promise.all(all);
    expect(held.peak()).toBe(2);
    await c.idle();
  });

  it("rejects every record of a failed send, and goes on with the next ones", async () => {
    const held = heldSends();
    const c = new SendCoalescer(held.send, limits({ maxRecords: 2 }));
    const settled = Promise.allSettled(Array.from({ length: 4 }, (_, n) => c.send(record(n))));
    await until(() => held.calls.length === 1);
    held.calls[0]!.settle(new Error("broker gone"));
    await until(() => held.calls.length === 2);
    held.calls[1]!.settle();
    const outcomes = await settled;
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "fulfilled", "fulfilled"]);
    expect((outcomes[0] as PromiseRejectedResult).reason).toEqual(new Error("broker gone"));
  });

  it("rejects the records when send throws synchronously", async () => {
    const c = new SendCoalescer(() => {
      throw new Error("not connected");
    }, limits({}));
    await expect(c.send(record(1))).rejects.toThrow("not connected");
    await c.idle();
  });

  it("splits by bytes but sends a record bigger than the cap alone", async () => {
    const held = heldSends();
    const c = new SendCoalescer(held.send, limits({ maxBytes: 10, maxInFlight: 5 }));
    const big = { ...record(0), value: Buffer.alloc(50) };
    const all = [c.send(record(1)), c.send(big), c.send(record(2)), c.send(record(3))];
    await until(() => held.calls.length === 3);
    expect(held.calls.map((call) => call.records.length)).toEqual([1, 1, 2]);
    for (const call of held.calls) call.settle();
    await Promise.all(all);
  });

  it("idle() waits for queued and in-flight sends", async () => {
    const held = heldSends();
    const c = new SendCoalescer(held.send, limits({}));
    const sent = c.send(record(1));
    let idle = false;
    const waiting = c.idle().then(() => {
      idle = true;
    });
    await until(() => held.calls.length === 1);
    expect(idle).toBe(false);
    held.calls[0]!.settle();
    await sent;
    await waiting;
    expect(idle).toBe(true);
  });
});

describe("SendCoalescer with a produce function", () => {
  it("hands a turn's records over one by one, in order, and each settles on its own", async () => {
    const { send, calls } = heldSends();
    const handed: { record: OutgoingRecord; settle: { resolve(m: RecordMetadata): void; reject(e: unknown): void } }[] =
      [];
    const c = new SendCoalescer(send, limits({}), () => (record, settle) => {
      if (record.value!.toString() === "2") throw new Error("refused");
      handed.push({ record, settle });
    });
    const results = Promise.allSettled([0, 1, 2, 3].map((n) => c.send(record(n)).then((m) => m.offset)));
    await until(() => handed.length === 3);
    expect(handed.map((h) => h.record.value!.toString())).toEqual(["0", "1", "3"]);
    expect(calls).toHaveLength(0);
    handed[1]!.settle.reject(new Error("not delivered"));
    for (const h of [handed[0]!, handed[2]!]) {
      h.settle.resolve({ topic: "t", partition: 0, offset: h.record.value!.toString() });
    }
    const settled = await results;
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((settled[3] as PromiseFulfilledResult<string>).value).toBe("3");
    await c.idle();
  });

  it("enqueue: a record and its own settle keep their place among promised sends, never settled synchronously", async () => {
    const handed: { record: OutgoingRecord; settle: Settle }[] = [];
    const c = new SendCoalescer(heldSends().send, limits({}), () => (record, settle) => {
      handed.push({ record, settle });
    });
    const outcomes: string[] = [];
    const own: Settle = {
      resolve: (m) => void outcomes.push(`own:${m.offset}`),
      reject: (e) => void outcomes.push(`own failed:${(e as Error).message}`),
    };
    const before = c.send(record(0)).then((m) => void outcomes.push(`promise:${m.offset}`));
    c.enqueue(record(1), own);
    const after = c.send(record(2)).then((m) => void outcomes.push(`promise:${m.offset}`));
    expect(handed).toHaveLength(0);
    await until(() => handed.length === 3);
    expect(handed.map((h) => h.record.value!.toString())).toEqual(["0", "1", "2"]);
    expect(handed[1]!.settle).toBe(own);
    for (const h of handed) h.settle.resolve({ topic: "t", partition: 0, offset: h.record.value!.toString() });
    await Promise.all([before, after]);
    expect(outcomes.sort()).toEqual(["own:1", "promise:0", "promise:2"]);
  });

  it("enqueue without produce: the coalesced send's failure reaches every settle of it", async () => {
    const held = heldSends();
    const c = new SendCoalescer(held.send, limits({}));
    const failed: unknown[] = [];
    for (const n of [0, 1]) c.enqueue(record(n), { resolve: () => undefined, reject: (e) => void failed.push(e) });
    await until(() => held.calls.length === 1);
    held.calls[0]!.settle(new Error("leader moved"));
    await until(() => failed.length === 2);
    expect(failed.map((e) => (e as Error).message)).toEqual(["leader moved", "leader moved"]);
    await c.idle();
  });
});
