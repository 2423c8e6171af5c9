import { autoCodec, jsonCodec, NackMessage, RejectMessage, StopConsume } from "@faststream/core";
import { describe, expect, it } from "vitest";
import { fail, handler, type Msg, publisher, setup } from "./pipeline-harness.js";
import { processBatch, processMessage } from "../src/pipeline.js";
import { buildRecord, createPublisher, type RecordSink } from "../src/publisher.js";
import { KafkaResponse } from "../src/response.js";
import { type KafkaMiddleware, Scope } from "../src/scope.js";

describe("processMessage: middlewares, publishing, dependencies", () => {
  it("runs onReceive and consume hooks outer to inner, then afterProcessed inner to outer", async () => {
    const log: string[] = [];
    const mw = (name: string): KafkaMiddleware => ({
      onReceive: () => void log.push(`${name}.receive`),
      consume: async (next) => {
        log.push(`${name}.in`);
        const result = await next();
        log.push(`${name}.out`);
        return result;
      },
      afterProcessed: (_m, error) => void log.push(`${name}.after:${String(error)}`),
    });
    const decoder = (_m: unknown, next: () => unknown) => {
      log.push("decode");
      return next();
    };
    const h = handler(() => void log.push("handler"), { middlewares: [{ consume: mw("h").consume! }] });
    const t = setup([h], { middlewares: [mw("a"), mw("b")], decoder });
    await processMessage(t.config, t.message(), "reject_on_error");
    expect(log).toEqual([
      "a.receive",
      "b.receive",
      "decode",
      "a.in",
      "b.in",
      "h.in",
      "handler",
      "h.out",
      "b.out",
      "a.out",
      "b.after:undefined",
      "a.after:undefined",
    ]);
  });

  it("passes the error to afterProcessed and logs, never throws, a failing afterProcessed", async () => {
    const errors: unknown[] = [];
    const outer: KafkaMiddleware = { afterProcessed: (_m, e) => void errors.push(e) };
    const inner: KafkaMiddleware = {
      afterProcessed: () => {
        throw new Error("hook");
      },
    };
    const t = setup([handler(fail)], { middlewares: [outer, inner] });
    expect(await processMessage(t.config, t.message(), "reject_on_error")).toBe("continue");
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("boom");
    expect(t.errors().map((l) => l.message)).toEqual([
      "handler failed; offset committed",
      "afterProcessed middleware failed",
    ]);
  });

  it("publishes the result to every handler publisher and to reply_to with the correlation id", async () => {
    const mws: KafkaMiddleware[] = [{}];
    const own: KafkaMiddleware = {};
    const h = handler(() => ({ ok: true }), { publishers: [publisher("out1"), publisher("out2")], middlewares: [own] });
    const t = setup([h], { middlewares: mws });
    const headers = { correlation_id: "corr-9", reply_to: "replies" };
    await processMessage(t.config, t.message("1", { headers }), "reject_on_error");
    expect(t.sent.map((s) => s.record.topic).sort()).toEqual(["out1", "out2", "replies"]);
    for (const s of t.sent) {
      expect(s.record.headers["correlation_id"]).toBe("corr-9");
      expect(s.record.value?.toString()).toBe('{"ok":true}');
      expect(s.body).toEqual({ ok: true });
      expect(s.middlewares).toEqual([...mws, own]);
    }
    expect(t.settled).toEqual([[0, "ack"]]);
  });

  it("applies a KafkaResponse's options and publishes nothing for null or undefined", async () => {
    const response = new KafkaResponse("hi", { key: "k1", headers: { v: "2" }, correlationId: "mine" });
    const t = setup([handler(() => response, { publishers: [publisher("out")] })]);
    await processMessage(t.config, t.message("1", { headers: { correlation_id: "in", reply_to: "r" } }), "ack");
    const [out, reply] = t.sent.sort((a, b) => a.record.topic.localeCompare(b.record.topic));
    expect(out!.record).toMatchObject({ topic: "out", key: "k1", headers: { v: "2", correlation_id: "mine" } });
    expect(out!.body).toBe("hi");
    expect(reply!.record.headers["correlation_id"]).toBe("mine");
    for (const result of [null, undefined]) {
      const quiet = setup([handler(() => result, { publishers: [publisher("out")] })]);
      await processMessage(quiet.config, quiet.message("1", { headers: { reply_to: "r" } }), "ack");
      expect(quiet.sent).toEqual([]);
    }
  });

  it("with minimal framework headers, results carry only a correlation id the message had", async () => {
    const sink = { minimalHeaders: true } as RecordSink;
    const out = createPublisher({ scope: new Scope(), sink: () => sink }, "out");
    const t = setup([handler(() => ({ ok: true }), { publishers: [out] })], {
      minimalHeaders: true,
      replyRecord: (body, topic, correlationId) =>
        buildRecord(topic, body, { correlationId }, undefined, autoCodec, true),
    });
    await processMessage(t.config, t.message("1"), "ack");
    expect(t.sent[0]!.record.headers).toEqual({});
    await processMessage(t.config, t.message("2", { headers: { correlation_id: "c-2", reply_to: "r" } }), "ack");
    expect(t.sent.slice(1).map((s) => [s.record.topic, s.record.headers])).toEqual([
      ["out", { correlation_id: "c-2" }],
      ["r", { correlation_id: "c-2" }],
    ]);
    // A reply always names the request: the message id when the request carried no correlation id.
    await processMessage(t.config, t.message("3", { headers: { reply_to: "r" } }), "ack");
    expect(t.sent.slice(3).map((s) => [s.record.topic, s.record.headers])).toEqual([
      ["out", {}],
      ["r", { correlation_id: "orders-0-2" }],
    ]);
    expect(t.settled).toEqual([
      [0, "ack"],
      [1, "ack"],
      [2, "ack"],
    ]);
  });

  it("settles a failed publish like a handler error", async () => {
    const t = setup([handler(() => 1, { publishers: [publisher("out")] })], {
      send: async () => Promise.reject(new Error("broker down")),
    });
    await processMessage(t.config, t.message(), "reject_on_error");
    expect(t.settled).toEqual([[0, "reject"]]);
    expect((t.errors()[0]!.fields["err"] as Error).message).toBe("broker down");
  });

  it("computes dependencies for each message before the handler runs", async () => {
    let n = 0;
    const seen: unknown[] = [];
    const t = setup([handler((_b, m) => seen.push((m as Msg).deps))], {
      dependencies: { n: () => ++n, key: async (m) => m.keyText },
    });
    await processMessage(t.config, t.message("1", { key: Buffer.from("a") }), "ack");
    await processMessage(t.config, t.message("1", { key: Buffer.from("b") }), "ack");
    expect(seen).toEqual([
      { n: 1, key: "a" },
      { n: 2, key: "b" },
    ]);
  });
});

describe("processBatch", () => {
  it("hands the decodable records to the handler together and settles them together", async () => {
    const calls: unknown[][] = [];
    const t = setup([handler((bodies, msgs) => calls.push([bodies, (msgs as Msg[]).map((m) => m.offset)]))], {
      codec: jsonCodec,
    });
    const batch = [t.message('{"a":1}'), t.message("{bad"), t.message('{"a":3}')];
    expect(await processBatch(t.config, batch)).toBe("continue");
    expect(calls).toEqual([
      [
        [{ a: 1 }, { a: 3 }],
        [0, 2],
      ],
    ]);
    expect(t.settled).toEqual([
      [1, "reject"],
      [0, "ack"],
      [2, "ack"],
    ]);
    expect(t.errors()[0]!.fields).toMatchObject({ code: "DECODE", offset: 1 });
  });

  it("settles the whole batch per policy on a handler error", async () => {
    const t = setup([handler(fail, { ackPolicy: "nack_on_error" })]);
    await processBatch(t.config, [t.message(), t.message()]);
    expect(t.settled).toEqual([
      [0, "nack"],
      [1, "nack"],
    ]);
  });

  it("honours control flow for the whole batch", async () => {
    const nack = setup([
      handler(() => {
        throw new NackMessage();
      }),
    ]);
    expect(await processBatch(nack.config, [nack.message(), nack.message()])).toBe("continue");
    expect(nack.settled).toEqual([
      [0, "nack"],
      [1, "nack"],
    ]);
    const stop = setup([
      handler(() => {
        throw new StopConsume();
      }),
    ]);
    expect(await processBatch(stop.config, [stop.message(), stop.message()])).toBe("stop");
    expect(stop.settled).toEqual([
      [0, "ack"],
      [1, "ack"],
    ]);
  });

  it("does not call the handler when no record decodes", async () => {
    let called = 0;
    const t = setup([handler(() => called++)], { codec: jsonCodec });
    expect(await processBatch(t.config, [t.message("x"), t.message(null)])).toBe("continue");
    expect(called).toBe(0);
    expect(t.settled).toEqual([
      [0, "reject"],
      [1, "reject"],
    ]);
  });

  it("runs afterProcessed inner to outer for each message of the batch, with the error", async () => {
    const log: string[] = [];
    const mw = (name: string): KafkaMiddleware => ({
      afterProcessed: (m, e) => void log.push(`${name}:${(m as Msg).offset}:${(e as Error | undefined)?.message}`),
    });
    const t = setup([handler(fail)], { middlewares: [mw("a"), mw("b")] });
    expect(await processBatch(t.config, [t.message(), t.message()])).toBe("continue");
    expect(log).toEqual(["b:0:boom", "a:0:boom", "b:1:boom", "a:1:boom"]);
  });

  it("logs a failing afterProcessed instead of throwing or swallowing it", async () => {
    const failing: KafkaMiddleware = {
      afterProcessed: () => {
        throw new Error("hook");
      },
    };
    const t = setup([handler(() => undefined)], { middlewares: [failing] });
    expect(await processBatch(t.config, [t.message()])).toBe("continue");
    expect(t.settled).toEqual([[0, "ack"]]);
    expect(t.errors().map((l) => l.message)).toEqual(["afterProcessed middleware failed"]);
  });

  it("settles a record per the control flow its onReceive hook throws", async () => {
    const byOffset: KafkaMiddleware = {
      onReceive: (m) => {
        if ((m as Msg).offset === 0) throw new RejectMessage();
        if ((m as Msg).offset === 1) throw new NackMessage();
      },
    };
    const t = setup([handler(() => undefined)], { middlewares: [byOffset] });
    await processBatch(t.config, [t.message(), t.message(), t.message()]);
    expect(t.settled).toEqual([
      [0, "reject"],
      [1, "nack"],
      [2, "ack"],
    ]);
    expect(t.lines).toEqual([]);
  });
});
