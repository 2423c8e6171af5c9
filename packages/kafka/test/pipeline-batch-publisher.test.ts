// A `batch` publisher: an array result leaves as one message per element, in order.
import { jsonCodec, SetupError } from "@faststream/core";
import { describe, expect, it } from "vitest";
import type { OutgoingRecord, Settle } from "../src/driver.js";
import { processBatch, processMessage } from "../src/pipeline.js";
import { createPublisher } from "../src/publisher.js";
import { KafkaResponse } from "../src/response.js";
import { Scope } from "../src/scope.js";
import { handler, type Msg, publisher, setup } from "./pipeline-harness.js";

const batchPublisher = (topic: string) =>
  createPublisher({ scope: new Scope(), sink: () => undefined }, topic, { batch: true });
const text = (r: OutgoingRecord) => r.value?.toString();

describe("batch publisher", () => {
  it("publishes each element of an array result, in order; other publishers and reply_to get the array", async () => {
    const h = handler(() => [{ n: 1 }, { n: 2 }, { n: 3 }], {
      publishers: [batchPublisher("each"), publisher("whole")],
    });
    const t = setup([h]);
    await processMessage(t.config, t.message("1", { headers: { correlation_id: "c-1", reply_to: "r" } }), "ack");
    expect(t.sent.map((s) => [s.record.topic, text(s.record), s.record.key])).toEqual([
      ["each", '{"n":1}', null],
      ["each", '{"n":2}', null],
      ["each", '{"n":3}', null],
      ["whole", '[{"n":1},{"n":2},{"n":3}]', null],
      ["r", '[{"n":1},{"n":2},{"n":3}]', null],
    ]);
    // Every record carries the consumed message's correlation id; publish hooks see each element.
    expect(t.sent.map((s) => s.record.headers["correlation_id"])).toEqual(["c-1", "c-1", "c-1", "c-1", "c-1"]);
    expect(t.sent.slice(0, 3).map((s) => s.body)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(t.settled).toEqual([[0, "ack"]]);
  });

  it("applies an element's KafkaResponse options to that element alone", async () => {
    const h = handler(() => new KafkaResponse(["a", new KafkaResponse("b", { key: "kb" })], { headers: { v: "1" } }), {
      publishers: [batchPublisher("each")],
    });
    const t = setup([h]);
    await processMessage(t.config, t.message(), "ack");
    expect(t.sent.map((s) => [text(s.record), s.record.key, s.record.headers["v"]])).toEqual([
      ["a", null, "1"],
      ["b", "kb", "1"],
    ]);
  });

  it("publishes a result that is not an array as one message, and nothing for an empty array", async () => {
    const t = setup([handler((body) => body, { publishers: [batchPublisher("each")] })]);
    await processMessage(t.config, t.message('{"one":1}'), "ack");
    await processMessage(t.config, t.message("[]"), "ack");
    expect(t.sent.map((s) => text(s.record))).toEqual(['{"one":1}']);
    expect(t.settled).toEqual([
      [0, "ack"],
      [1, "ack"],
    ]);
  });

  it("on the fast path, settles the message once every element was acknowledged", () => {
    const held: { record: OutgoingRecord; settle: Settle }[] = [];
    const t = setup([handler(() => ["a", "b"], { publishers: [batchPublisher("each")] })], {
      deliver: (record, settle) => void held.push({ record, settle }),
      fast: true,
    });
    let open = 0;
    const deferred = { begin: () => void open++, end: () => void open-- };
    expect(processMessage(t.config, t.message(), "ack", undefined, deferred)).toBe("continue");
    expect(held.map((h) => text(h.record))).toEqual(["a", "b"]);
    held[0]!.settle.resolve({ topic: "each", partition: 0, offset: "0" });
    expect(t.settled).toEqual([]);
    held[1]!.settle.resolve({ topic: "each", partition: 0, offset: "1" });
    expect(t.settled).toEqual([[0, "ack"]]);
    expect(open).toBe(0);
  });

  it("with a batch subscriber, turns a batch into one message per result (fast path decoding)", async () => {
    const t = setup(
      [
        handler((bodies) => (bodies as { n: number }[]).map((b) => ({ m: b.n * 10 })), {
          publishers: [batchPublisher("out")],
        }),
      ],
      { fast: true, codec: jsonCodec },
    );
    const batch: Msg[] = [t.message('{"n":1}'), t.message('{"n":2'), t.message('{"n":3}')];
    expect(await processBatch(t.config, batch)).toBe("continue");
    expect(t.sent.map((s) => text(s.record))).toEqual(['{"m":10}', '{"m":30}']);
    expect(t.settled).toEqual([
      [1, "reject"],
      [0, "ack"],
      [2, "ack"],
    ]);
  });

  it("with a deferred sink, a batch goes on at once and is settled once all its records were acknowledged", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const t = setup(
      [handler((bodies) => bodies, { publishers: [batchPublisher("out")], ackPolicy: "nack_on_error" })],
      {
        fast: true,
        send: async (record) => {
          await gate;
          if (record.value?.toString() === '{"n":3}') throw new Error("leader moved");
          return { topic: record.topic, partition: 0, offset: "0" };
        },
      },
    );
    const counts: number[] = [];
    let open = 0;
    let ended!: () => void;
    const allEnded = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const deferred = {
      begin: (n = 1) => {
        open += n;
        counts.push(n);
      },
      end: (n = 1) => {
        open -= n;
        if (open === 0) ended();
      },
    };
    const first = [t.message('{"n":1}'), t.message('{"n":2}')];
    const second = [t.message('{"n":3}')];
    expect(await processBatch(t.config, first, deferred)).toBe("continue");
    expect(await processBatch(t.config, second, deferred)).toBe("continue");
    expect(counts).toEqual([2, 1]);
    expect(t.settled).toEqual([]);
    release();
    await allEnded;
    // The first batch's records were acknowledged; the second's failed: nacked per its policy.
    expect(t.settled.sort((a, b) => a[0] - b[0])).toEqual([
      [0, "ack"],
      [1, "ack"],
      [2, "nack"],
    ]);
    expect(t.errors()).toHaveLength(1);
  });

  it("refuses a batch option that is not a boolean, naming it", () => {
    const make = (batch: unknown) =>
      createPublisher({ scope: new Scope(), sink: () => undefined }, "t", { batch: batch as boolean });
    expect(() => make("yes")).toThrow(SetupError);
    expect(() => make(1)).toThrow('Invalid option "batch"');
    expect(make(false).options.batch).toBe(false);
  });
});
