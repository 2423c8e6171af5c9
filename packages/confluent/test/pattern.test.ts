import { describe, expect, it } from "vitest";
import { toLibrdkafkaPattern } from "../src/pattern.js";

describe("toLibrdkafkaPattern", () => {
  it.each([
    [/orders-.*/, "^(orders-.*)$"],
    [/orders\.(?:eu|us)/, "^(orders\\.(eu|us))$"],
    [/t-\d+/, "^(t-[0-9]+)$"],
    [/t-\w{2,3}?/, "^(t-[A-Za-z0-9_]{2,3})$"],
    [/t[\d\-_]/, "^(t[0-9_-])$"],
    [/t[^a-c]x/, "^(t[^a-c]x)$"],
    [/(?<env>dev|prod)\/x/, "^((dev|prod)/x)$"],
    [/a-b/g, "^(a-b)$"],
  ])("%s -> %s", (input, expected) => {
    expect(toLibrdkafkaPattern(input)).toBe(expected);
  });

  it.each([/a/i, /a(?=b)/, /(a)\1/, /\bword/, /a\u0041/])("rejects %s", (input) => {
    expect(() => toLibrdkafkaPattern(input)).toThrow(/librdkafka/);
  });
});

describe("pattern subscriptions at declaration", () => {
  it("a RegExp librdkafka cannot express is a SetupError when the subscriber is declared", async () => {
    const { KafkaBroker } = await import("../src/index.js");
    const { SetupError } = await import("@faststream/core");
    const broker = new KafkaBroker("localhost:9092", { logLevel: "silent" });
    expect(() => broker.subscriber(/orders(?=\.eu)/)).toThrow(SetupError);
    expect(() => broker.subscriber(/orders\..+/)).not.toThrow();
  });
});
