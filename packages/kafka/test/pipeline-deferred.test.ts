// The fast path with a `deferred` sink, as the subscriber runs it: a message whose result is
// being published is handed over (no promise per message) and settled once every record of
// its result was acknowledged.
import { PublishError } from "@faststream/core";
import { describe, expect, it } from "vitest";
import type { OutgoingRecord, Settle } from "../src/driver.js";
import { processMessage, Suspension } from "../src/pipeline.js";
import type { Deferred } from "../src/pipeline-steps.js";
import { handler, publisher, setup } from "./pipeline-harness.js";

/** A deferred sink that counts messages in flight and records when each ended. */
function sink() {
  const events: string[] = [];
  let open = 0;
  const deferred: Deferred = {
    begin: () => {
      open++;
      events.push("begin");
    },
    end: () => {
      open--;
      events.push("end");
    },
  };
  return { deferred, events, open: () => open };
}

/** A `deliver` that holds every record until the test settles it. */
function heldDeliveries() {
  const held: { record: OutgoingRecord; settle: Settle }[] = [];
  return { held, deliver: (record: OutgoingRecord, settle: Settle) => void held.push({ record, settle }) };
}

describe("processMessage with a deferred sink (fast path)", () => {
  it("returns at once and settles the message only when its result is acknowledged", () => {
    const d = heldDeliveries();
    const t = setup([handler(() => ({ ok: 1 }), { publishers: [publisher("out")] })], {
      deliver: d.deliver,
      fast: true,
    });
    const s = sink();
    expect(processMessage(t.config, t.message(), "reject_on_error", undefined, s.deferred)).toBe("continue");
    expect(d.held.map((h) => h.record.topic)).toEqual(["out"]);
    expect(t.settled).toEqual([]);
    expect(s.open()).toBe(1);
    d.held[0]!.settle.resolve({ topic: "out", partition: 0, offset: "7" });
    expect(t.settled).toEqual([[0, "ack"]]);
    expect(s.events).toEqual(["begin", "end"]);
  });

  it("waits for every record of a result (two publishers and reply_to) and fails it if any failed", () => {
    const d = heldDeliveries();
    const h = handler(() => ({ ok: 1 }), { publishers: [publisher("a"), publisher("b")], ackPolicy: "nack_on_error" });
    const t = setup([h], { deliver: d.deliver, fast: true });
    const s = sink();
    const m = t.message('{"n":1}', { headers: { reply_to: "replies", correlation_id: "c-1" } });
    processMessage(t.config, m, "nack_on_error", undefined, s.deferred);
    expect(d.held.map((x) => x.record.topic)).toEqual(["a", "b", "replies"]);
    expect(d.held.map((x) => x.record.headers?.["correlation_id"])).toEqual(["c-1", "c-1", "c-1"]);
    d.held[1]!.settle.reject(new PublishError("b", "leader not available"));
    d.held[0]!.settle.resolve({ topic: "a", partition: 0, offset: "1" });
    expect(t.settled).toEqual([]);
    expect(s.open()).toBe(1);
    d.held[2]!.settle.resolve({ topic: "replies", partition: 0, offset: "2" });
    // The first failure decides: the policy nacks it, and it is reported with its location.
    expect(t.settled).toEqual([[0, "nack"]]);
    expect(s.open()).toBe(0);
    expect(t.errors()).toHaveLength(1);
    expect(t.errors()[0]!.fields).toMatchObject({ topic: "orders", partition: 0, offset: 0 });
  });

  it("settles a message whose record is refused at once (before deliver returns)", () => {
    const t = setup([handler(() => "x", { publishers: [publisher("out")] })], {
      deliver: (_record, settle) => settle.reject(new PublishError("out", "too big")),
      fast: true,
    });
    const s = sink();
    expect(processMessage(t.config, t.message(), "reject_on_error", undefined, s.deferred)).toBe("continue");
    expect(t.settled).toEqual([[0, "reject"]]);
    expect(s.events).toEqual(["begin", "end"]);
  });

  it("does not hand over a result that cannot be encoded: the message fails on its own", () => {
    const d = heldDeliveries();
    const circular: Record<string, unknown> = {};
    circular["self"] = circular;
    const t = setup([handler(() => circular, { publishers: [publisher("out")] })], {
      deliver: d.deliver,
      fast: true,
    });
    const s = sink();
    expect(processMessage(t.config, t.message(), "reject_on_error", undefined, s.deferred)).toBe("continue");
    expect(d.held).toEqual([]);
    expect(s.events).toEqual([]);
    expect(t.settled).toEqual([[0, "reject"]]);
  });

  it("dead-letters a rejected message once its result failed, and ends it after that publish", async () => {
    const d = heldDeliveries();
    const t = setup([handler(() => ({ ok: 1 }), { publishers: [publisher("out")] })], {
      deliver: d.deliver,
      deadLetter: "orders.dlq",
      fast: true,
    });
    const s = sink();
    processMessage(t.config, t.message(), "reject_on_error", undefined, s.deferred);
    d.held[0]!.settle.reject(new PublishError("out", "broken"));
    // Dead-lettering goes through `send` (it may pass publish hooks): the message ends after it.
    expect(s.open()).toBe(1);
    await expect.poll(() => s.open()).toBe(0);
    expect(t.sent.map((x) => x.record.topic)).toEqual(["orders.dlq"]);
    expect(t.settled).toEqual([[0, "reject"]]);
  });
});

describe("processMessage with a suspension (fast path, async handler)", () => {
  it("hands an async handler's promise to the caller, which resumes the message with its value", async () => {
    const d = heldDeliveries();
    const t = setup([handler(async () => ({ ok: 1 }), { publishers: [publisher("out")] })], {
      deliver: d.deliver,
      fast: true,
    });
    const s = sink();
    const suspension = new Suspension();
    expect(processMessage(t.config, t.message(), "reject_on_error", undefined, s.deferred, suspension)).toBe(
      suspension,
    );
    // Nothing is published or settled before the caller hands the outcome back.
    expect(d.held).toEqual([]);
    expect(suspension.resume(await suspension.pending)).toBe("continue");
    expect(d.held.map((h) => h.record.topic)).toEqual(["out"]);
    d.held[0]!.settle.resolve({ topic: "out", partition: 0, offset: "3" });
    expect(t.settled).toEqual([[0, "ack"]]);
    expect(s.events).toEqual(["begin", "end"]);
  });

  it("settles a failed async handler per its policy through fail(), then serves the next message", async () => {
    const d = heldDeliveries();
    let calls = 0;
    const h = handler(
      async () => {
        if (++calls === 1) throw new Error("boom");
        return "second";
      },
      { publishers: [publisher("out")], ackPolicy: "nack_on_error" },
    );
    const t = setup([h], { deliver: d.deliver, fast: true });
    const s = sink();
    const suspension = new Suspension();
    expect(processMessage(t.config, t.message(), "ack", undefined, s.deferred, suspension)).toBe(suspension);
    const failure = await suspension.pending.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(suspension.fail(failure)).toBe("continue");
    expect(t.settled).toEqual([[0, "nack"]]);
    expect(t.errors()).toHaveLength(1);
    // The same suspension serves the next message.
    const next = t.message('{"n":2}');
    expect(processMessage(t.config, next, "ack", undefined, s.deferred, suspension)).toBe(suspension);
    expect(suspension.resume(await suspension.pending)).toBe("continue");
    expect(d.held.map((x) => x.record.topic)).toEqual(["out"]);
    d.held[0]!.settle.resolve({ topic: "out", partition: 0, offset: "4" });
    expect(t.settled).toEqual([
      [0, "nack"],
      [1, "ack"],
    ]);
  });

  it("continues at once when the handler returns a plain value", () => {
    const d = heldDeliveries();
    const t = setup([handler(() => ({ ok: 1 }), { publishers: [publisher("out")] })], {
      deliver: d.deliver,
      fast: true,
    });
    const suspension = new Suspension();
    expect(processMessage(t.config, t.message(), "ack", undefined, sink().deferred, suspension)).toBe("continue");
    expect(d.held).toHaveLength(1);
  });
});

describe("a publish that rejects without a reason", () => {
  it("fails its message on every path: fast or general, deferred or awaited", async () => {
    for (const fast of [true, false]) {
      for (const deferring of [true, false]) {
        const t = setup([handler(() => ({ ok: 1 }), { publishers: [publisher("out")] })], {
          fast,
          send: () => Promise.reject(undefined),
          deliver: (_record, settle) => settle.reject(undefined),
        });
        const s = sink();
        await processMessage(t.config, t.message(), "reject_on_error", undefined, deferring ? s.deferred : undefined);
        await new Promise((resolve) => setImmediate(resolve));
        expect([fast, deferring, t.settled]).toEqual([fast, deferring, [[0, "reject"]]]);
        expect(t.errors()).toHaveLength(1);
        expect(s.open()).toBe(0);
      }
    }
  });
});
