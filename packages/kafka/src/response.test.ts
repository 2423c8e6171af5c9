import { describe, expect, it } from "vitest";
import { isKafkaResponse, KafkaResponse } from "./response.js";

describe("isKafkaResponse", () => {
  it("recognises responses, also those of another copy of the package", () => {
    expect(isKafkaResponse(new KafkaResponse({ ok: true }, { key: "k" }))).toBe(true);
    // Another copy's class: a different prototype that carries the shared registered symbol.
    class OtherCopyResponse {
      constructor(readonly body: unknown) {
        (this as Record<symbol, unknown>)[Symbol.for("faststream.kafka.response")] = true;
      }
    }
    expect(isKafkaResponse(new OtherCopyResponse(1))).toBe(true);
  });

  it("rejects plain data, other class instances and primitives", () => {
    expect(isKafkaResponse({ body: 1, options: {} })).toBe(false);
    expect(isKafkaResponse([1, 2])).toBe(false);
    expect(isKafkaResponse(Object.create(null))).toBe(false);
    expect(isKafkaResponse(Buffer.from("x"))).toBe(false);
    expect(isKafkaResponse(new Date())).toBe(false);
    expect(isKafkaResponse(null)).toBe(false);
    expect(isKafkaResponse("text")).toBe(false);
    expect(isKafkaResponse(42)).toBe(false);
  });

  it("is not fooled by a plain object with the marker (only instances of a response class)", () => {
    const forged = { [Symbol.for("faststream.kafka.response")]: true, body: 1 };
    expect(isKafkaResponse(forged)).toBe(false);
  });
});
