import { SetupError } from "@faststream/core";
import { describe, expect, it } from "vitest";
import { checkTopicName, extractParams, resolveTarget } from "./target.js";

/** Runs `fn`, expects a SetupError and returns the option it names. */
function setupOption(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SetupError);
    return (err as SetupError).option;
  }
  throw new Error("expected a SetupError");
}

function patternOf(target: ReturnType<typeof resolveTarget>): RegExp {
  if (target.subscription.kind !== "pattern") throw new Error(`expected a pattern, got ${target.subscription.kind}`);
  return target.subscription.pattern;
}

describe("resolveTarget: topics", () => {
  it("resolves a single topic, with and without a prefix", () => {
    expect(resolveTarget("orders", "")).toEqual({
      subscription: { kind: "topics", topics: ["orders"] },
      params: undefined,
      label: "orders",
    });
    expect(resolveTarget("orders", "v1.")).toEqual({
      subscription: { kind: "topics", topics: ["v1.orders"] },
      params: undefined,
      label: "v1.orders",
    });
  });

  it("deduplicates and prefixes a list, keeping the first order", () => {
    const target = resolveTarget(["b", "a", "b", "a", "c"], "p.");
    expect(target.subscription).toEqual({ kind: "topics", topics: ["p.b", "p.a", "p.c"] });
    expect(target.label).toBe("p.b, p.a, p.c");
    expect(target.params).toBeUndefined();
  });

  it("accepts the longest valid names and every allowed character", () => {
    const target = resolveTarget(["x".repeat(249), "a.b_c-D9"], "");
    expect(target.subscription).toEqual({ kind: "topics", topics: ["x".repeat(249), "a.b_c-D9"] });
  });

  it("rejects a name that the prefix makes too long", () => {
    expect(setupOption(() => resolveTarget(`${"x".repeat(247)}{a}`, "p."))).toBe("topics");
    expect(setupOption(() => resolveTarget("x".repeat(248), "p."))).toBe("topics");
  });

  it("rejects a missing, empty or invalid topic list, naming topics", () => {
    for (const bad of [[], undefined, null, 42, "", ["ok", "bad topic"], ["a/b"], [""], ["x".repeat(250)], [7]]) {
      expect(setupOption(() => resolveTarget(bad, ""))).toBe("topics");
    }
  });
});

describe("resolveTarget: {param} templates", () => {
  it("becomes an anchored pattern with named groups, prefixed", () => {
    const target = resolveTarget("orders.{tenant}.{event}", "v1.");
    const pattern = patternOf(target);
    expect(target.params).toBe(pattern);
    expect(target.label).toBe("v1.orders.{tenant}.{event}");
    expect(pattern.test("v1.orders.acme.created")).toBe(true);
    expect(extractParams(target.params, "v1.orders.acme.created")).toEqual({ tenant: "acme", event: "created" });
    expect(extractParams(target.params, "v1.orders.Big_co-2.updated")).toEqual({
      tenant: "Big_co-2",
      event: "updated",
    });
  });

  it("does not match sibling topics", () => {
    const pattern = patternOf(resolveTarget("orders.{tenant}.created", "v1."));
    for (const topic of [
      "v1.orders.acme.updated",
      "orders.acme.created",
      "x.v1.orders.acme.created",
      "v1.orders.acme.created.dlq",
      "v1.orders.a.b.created",
      "v1.orders..created",
      "v1XordersXacmeXcreated",
    ]) {
      expect(pattern.test(topic), topic).toBe(false);
    }
    expect(extractParams(pattern, "v1.orders.acme.updated")).toEqual({});
  });

  it("rejects a template mixed with other topics", () => {
    expect(setupOption(() => resolveTarget(["orders.{tenant}", "payments"], ""))).toBe("topics");
    expect(setupOption(() => resolveTarget(["payments", "orders.{tenant}"], ""))).toBe("topics");
  });

  it("rejects a template repeating a parameter name with a SetupError", () => {
    expect(setupOption(() => resolveTarget("{tenant}.orders.{tenant}", ""))).toBe("topics");
  });

  it("rejects a template that is not a valid topic name", () => {
    expect(setupOption(() => resolveTarget("bad topic.{x}", ""))).toBe("topics");
    expect(setupOption(() => resolveTarget("orders.{1x}", ""))).toBe("topics");
    expect(setupOption(() => resolveTarget("orders.{x", ""))).toBe("topics");
  });
});

describe("resolveTarget: RegExp", () => {
  it("is anchored under the prefix and keeps its named groups and flags", () => {
    const target = resolveTarget(/^orders\.(?<kind>created|updated)$/i, "v1.");
    const pattern = patternOf(target);
    expect(target.params).toBe(pattern);
    expect(pattern.flags).toBe("i");
    expect(pattern.test("v1.orders.created")).toBe(true);
    expect(pattern.test("v1.ORDERS.UPDATED")).toBe(true);
    expect(pattern.test("orders.created")).toBe(false);
    expect(pattern.test("v1.orders.created.dlq")).toBe(false);
    expect(extractParams(target.params, "v1.orders.updated")).toEqual({ kind: "updated" });
  });

  it("anchors an unanchored alternation as a whole and drops the global flag", () => {
    const pattern = patternOf(resolveTarget(/a|b/g, "p."));
    expect(pattern.flags).toBe("");
    expect(pattern.test("p.a")).toBe(true);
    expect(pattern.test("p.b")).toBe(true);
    expect(pattern.test("p.ab")).toBe(false);
    expect(pattern.test("b")).toBe(false);
    expect(pattern.test("p.a")).toBe(true);
  });

  it("escapes the prefix", () => {
    const pattern = patternOf(resolveTarget(/orders/, "v1."));
    expect(pattern.test("v1.orders")).toBe(true);
    expect(pattern.test("v1Xorders")).toBe(false);
  });
});

describe("resolveTarget: partitions", () => {
  it("prefixes each topic and labels topic[partition]", () => {
    const target = resolveTarget(
      {
        partitions: [
          { topic: "orders", partition: 0 },
          { topic: "orders", partition: 2 },
        ],
      },
      "v1.",
    );
    expect(target).toEqual({
      subscription: {
        kind: "partitions",
        partitions: [
          { topic: "v1.orders", partition: 0 },
          { topic: "v1.orders", partition: 2 },
        ],
      },
      params: undefined,
      label: "v1.orders[0], v1.orders[2]",
    });
  });

  it("rejects an empty or missing list", () => {
    expect(setupOption(() => resolveTarget({ partitions: [] }, ""))).toBe("partitions");
    expect(setupOption(() => resolveTarget({ partitions: "orders" }, ""))).toBe("partitions");
    expect(setupOption(() => resolveTarget({}, ""))).toBe("partitions");
  });

  it("names the keys mixed with partitions", () => {
    const mixed = { partitions: [{ topic: "a", partition: 0 }], topics: ["b"] };
    expect(setupOption(() => resolveTarget(mixed, ""))).toBe("topics");
    expect(setupOption(() => resolveTarget({ topics: ["b"] }, ""))).toBe("topics");
  });

  it("names the bad entry", () => {
    expect(setupOption(() => resolveTarget({ partitions: [{ topic: "a", partition: -1 }] }, ""))).toBe("partitions[0]");
    const second = {
      partitions: [
        { topic: "a", partition: 0 },
        { topic: "a", partition: 1.5 },
      ],
    };
    expect(setupOption(() => resolveTarget(second, ""))).toBe("partitions[1]");
    expect(setupOption(() => resolveTarget({ partitions: [null] }, ""))).toBe("partitions[0]");
    expect(setupOption(() => resolveTarget({ partitions: [{ topic: "a b", partition: 0 }] }, ""))).toBe(
      "partitions[0].topic",
    );
  });
});

describe("checkTopicName and extractParams", () => {
  it("checks names, naming the option", () => {
    expect(checkTopicName("a.b", "topic")).toBe("a.b");
    expect(setupOption(() => checkTopicName("a b", "replyTo"))).toBe("replyTo");
  });

  it("checks every call again, however often the name before it was valid", () => {
    for (let i = 0; i < 3; i++) expect(checkTopicName("same", "topic")).toBe("same");
    for (const bad of ["a b", "", undefined, null, 7, "x".repeat(250)]) {
      expect(setupOption(() => checkTopicName(bad, "topic"))).toBe("topic");
      expect(checkTopicName("same", "topic")).toBe("same");
    }
  });

  it("returns no params without a parameter regex or a match", () => {
    expect(extractParams(undefined, "anything")).toEqual({});
    expect(extractParams(/^(x)$/, "x")).toEqual({});
  });
});
