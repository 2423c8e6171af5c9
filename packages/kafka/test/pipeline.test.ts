import {
  AckMessage,
  type AckPolicy,
  type ControlFlow,
  jsonCodec,
  NackMessage,
  RejectMessage,
  type Settlement,
  SkipMessage,
  StopConsume,
} from "@faststream/core";
import { describe, expect, it } from "vitest";
import { fail, failingSchema, handler, type Msg, publisher, setup } from "./pipeline-harness.js";
import { processMessage } from "../src/pipeline.js";
import type { KafkaMiddleware } from "../src/scope.js";

describe("processMessage: settlement", () => {
  it("acks on success, handing the handler the decoded body and the message", async () => {
    const calls: unknown[][] = [];
    const t = setup([handler((body, m) => calls.push([body, m]))]);
    const m = t.message('{"n":1}');
    expect(await processMessage(t.config, m, "reject_on_error")).toBe("continue");
    expect(calls).toEqual([[{ n: 1 }, m]]);
    expect(m.body).toEqual({ n: 1 });
    expect(t.settled).toEqual([[0, "ack"]]);
    expect(t.lines).toEqual([]);
  });

  const onError: [AckPolicy, Settlement, string][] = [
    ["reject_on_error", "reject", "handler failed; offset committed"],
    ["nack_on_error", "nack", "handler failed; it will be redelivered"],
    ["ack", "ack", "handler failed; offset committed"],
    ["manual", "nack", "handler failed; it will be redelivered"],
  ];
  for (const [policy, settlement, text] of onError) {
    it(`settles a handler error with ${settlement} under ${policy} and logs it with the location`, async () => {
      const t = setup([handler(fail, { ackPolicy: policy })]);
      expect(await processMessage(t.config, t.message(), policy)).toBe("continue");
      expect(t.settled).toEqual([[0, settlement]]);
      expect(t.errors()).toHaveLength(1);
      const [line] = t.errors();
      expect(line!.message).toBe(text);
      expect(line!.fields).toMatchObject({
        topic: "orders",
        partition: 0,
        offset: 0,
        settlement,
        subscriber: "orders",
      });
      expect((line!.fields["err"] as Error).message).toBe("boom");
    });
  }

  it("uses the handler's policy over the base policy", async () => {
    const t = setup([handler(fail, { ackPolicy: "nack_on_error" })]);
    await processMessage(t.config, t.message(), "reject_on_error");
    expect(t.settled).toEqual([[0, "nack"]]);
  });

  for (const policy of ["nack_on_error", "ack", "manual"] as const) {
    it(`always rejects undecodable or invalid bodies (${policy})`, async () => {
      let called = 0;
      const decode = setup([handler(() => called++, { ackPolicy: policy })], { codec: jsonCodec });
      await processMessage(decode.config, decode.message("{not json"), policy);
      expect(decode.settled).toEqual([[0, "reject"]]);
      expect(decode.errors()[0]!.fields).toMatchObject({ code: "DECODE", settlement: "reject", offset: 0 });
      const invalid = setup([handler(() => called++, { ackPolicy: policy })], { schema: failingSchema });
      await processMessage(invalid.config, invalid.message(), policy);
      expect(invalid.settled).toEqual([[0, "reject"]]);
      expect(invalid.errors()[0]!.fields).toMatchObject({ code: "VALIDATION" });
      expect(invalid.errors()[0]!.message).toContain("n must be positive");
      expect(called).toBe(0);
    });
  }

  it("leaves a message unsettled on success under manual, and lets the handler settle it", async () => {
    const t = setup([handler(() => "ok", { ackPolicy: "manual" })]);
    const m = t.message();
    await processMessage(t.config, m, "manual");
    expect(m.settlement).toBeUndefined();
    expect(t.settled).toEqual([]);
    expect(t.sent).toEqual([]);
    const own = setup([handler((_b, msg) => (msg as Msg).reject(), { ackPolicy: "manual" })]);
    await processMessage(own.config, own.message(), "manual");
    expect(own.settled).toEqual([[0, "reject"]]);
  });

  const control: [() => ControlFlow, Settlement][] = [
    [() => new AckMessage(), "ack"],
    [() => new NackMessage(), "nack"],
    [() => new RejectMessage(), "reject"],
    [() => new SkipMessage(), "ack"],
  ];
  for (const [make, settlement] of control) {
    it(`settles ${make().name} with ${settlement}, logging nothing and publishing nothing`, async () => {
      for (const policy of ["reject_on_error", "manual"] as const) {
        const t = setup([
          handler(
            () => {
              throw make();
            },
            { ackPolicy: policy, publishers: [publisher("out")] },
          ),
        ]);
        expect(await processMessage(t.config, t.message(), policy)).toBe("continue");
        expect(t.settled).toEqual([[0, settlement]]);
        expect(t.lines).toEqual([]);
        expect(t.sent).toEqual([]);
      }
    });
  }

  it("acks and asks to stop on StopConsume", async () => {
    const t = setup([
      handler(() => {
        throw new StopConsume();
      }),
    ]);
    expect(await processMessage(t.config, t.message(), "reject_on_error")).toBe("stop");
    expect(t.settled).toEqual([[0, "ack"]]);
  });

  it("honours control flow thrown by an onReceive middleware, before decoding", async () => {
    let called = 0;
    const skip: KafkaMiddleware = {
      onReceive: () => {
        throw new SkipMessage();
      },
    };
    const t = setup([handler(() => called++)], { middlewares: [skip], codec: jsonCodec });
    await processMessage(t.config, t.message("{bad"), "reject_on_error");
    expect(t.settled).toEqual([[0, "ack"]]);
    expect(called).toBe(0);
  });
});

describe("processMessage: routing", () => {
  it("picks the first handler whose filter matches, else the fallback", async () => {
    const seen: string[] = [];
    const t = setup([
      handler(() => seen.push("a"), { filter: (m) => m.keyText === "a" }),
      handler(() => seen.push("fallback")),
    ]);
    await processMessage(t.config, t.message("1", { key: Buffer.from("a") }), "reject_on_error");
    await processMessage(t.config, t.message("1", { key: Buffer.from("b") }), "reject_on_error");
    expect(seen).toEqual(["a", "fallback"]);
  });

  it("rejects a message no handler matches, logging NO_HANDLER with its location", async () => {
    const t = setup([handler(() => 1, { filter: () => false })]);
    t.message();
    await processMessage(t.config, t.message(), "reject_on_error");
    expect(t.settled).toEqual([[1, "reject"]]);
    const [line] = t.errors();
    expect(line!.fields).toMatchObject({ code: "NO_HANDLER", settlement: "reject" });
    expect(line!.message).toContain("orders[0]@1");
    expect(line!.message).toContain("no handler of subscriber orders matched");
  });

  it("rejects an unmatched message under nack_on_error too (a redelivery would never match)", async () => {
    const t = setup([handler(() => 1, { filter: () => false, ackPolicy: "nack_on_error" })]);
    await processMessage(t.config, t.message(), "nack_on_error");
    expect(t.settled).toEqual([[0, "reject"]]);
  });
});
