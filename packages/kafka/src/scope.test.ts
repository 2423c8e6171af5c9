import { autoCodec, type Codec, jsonCodec, SetupError, stringCodec } from "@faststream/core";
import { describe, expect, it } from "vitest";
import { checkAckPolicy, type Decoder, type KafkaMiddleware, Scope, type ScopeOptions } from "./scope.js";

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

const mw = (name: string): KafkaMiddleware & { name: string } => ({ name });

describe("Scope", () => {
  it("chains prefixes from the root to the innermost scope", () => {
    const root = new Scope({ prefix: "v1." });
    const router = new Scope({ prefix: "orders." }, root);
    const leaf = new Scope({}, router);
    expect(root.fullPrefix()).toBe("v1.");
    expect(router.fullPrefix()).toBe("v1.orders.");
    expect(leaf.fullPrefix()).toBe("v1.orders.");
    expect(new Scope().fullPrefix()).toBe("");
    router.prefix = `eu.${router.prefix}`;
    expect(leaf.fullPrefix()).toBe("v1.eu.orders.");
  });

  it("chains middlewares outer to inner, including ones added later", () => {
    const [a, b, c, d] = [mw("a"), mw("b"), mw("c"), mw("d")];
    const root = new Scope({ middlewares: [a] });
    const router = new Scope({ middlewares: [b] }, root);
    const leaf = new Scope({ middlewares: [c] }, router);
    expect(leaf.chain()).toEqual([a, b, c]);
    root.use(d);
    expect(leaf.chain()).toEqual([a, d, b, c]);
    expect(router.chain()).toEqual([a, d, b]);
    expect(new Scope().chain()).toEqual([]);
  });

  it("copies the middleware list it is given", () => {
    const list = [mw("a")];
    const scope = new Scope({ middlewares: list });
    list.push(mw("b"));
    expect(scope.chain()).toHaveLength(1);
  });

  it("resolves the nearest codec, defaulting to auto", () => {
    const root = new Scope({ codec: "json" });
    const router = new Scope({}, root);
    const leaf = new Scope({ codec: "string" }, router);
    expect(new Scope().resolveCodec()).toBe(autoCodec);
    expect(router.resolveCodec()).toBe(jsonCodec);
    expect(leaf.resolveCodec()).toBe(stringCodec);
    const custom: Codec<unknown> = {
      name: "custom",
      decode: () => 1,
      encode: () => ({ value: null, contentType: undefined }),
    };
    expect(new Scope({ codec: custom }, root).resolveCodec()).toBe(custom);
  });

  it("resolves the nearest decoder, undefined when none is set", () => {
    const outer: Decoder = (_m, next) => next();
    const inner: Decoder = () => "inner";
    const root = new Scope({ decoder: outer });
    expect(new Scope().resolveDecoder()).toBeUndefined();
    expect(new Scope({}, root).resolveDecoder()).toBe(outer);
    expect(new Scope({ decoder: inner }, root).resolveDecoder()).toBe(inner);
  });

  it("resolves the nearest ack policy, defaulting to reject_on_error", () => {
    const root = new Scope({ ackPolicy: "nack_on_error" });
    expect(new Scope().resolveAckPolicy()).toBe("reject_on_error");
    expect(new Scope({}, new Scope({}, root)).resolveAckPolicy()).toBe("nack_on_error");
    expect(new Scope({ ackPolicy: "manual" }, root).resolveAckPolicy()).toBe("manual");
  });

  it("finds its root and shares the root's context", () => {
    const root = new Scope();
    const leaf = new Scope({}, new Scope({}, root));
    expect(leaf.root()).toBe(root);
    expect(root.root()).toBe(root);
    root.context.set("db", 1);
    expect(leaf.root().context.get("db")).toBe(1);
  });

  it("rejects invalid options, naming the option", () => {
    const cases: [ScopeOptions, string][] = [
      [{ prefix: "bad prefix" }, "prefix"],
      [{ prefix: "a/b" }, "prefix"],
      [{ prefix: 5 as unknown as string }, "prefix"],
      [{ ackPolicy: "sometimes" as "ack" }, "ackPolicy"],
      [{ middlewares: mw("a") as unknown as KafkaMiddleware[] }, "middlewares"],
      [{ decoder: "json" as unknown as Decoder }, "decoder"],
      [{ codec: "yaml" as "json" }, "codec"],
      [{ codec: { name: "half" } as unknown as Codec<unknown> }, "codec"],
    ];
    for (const [options, option] of cases)
      expect(
        setupOption(() => new Scope(options)),
        option,
      ).toBe(option);
    expect(new Scope({ prefix: "" }).prefix).toBe("");
  });

  it("rejects a middleware that is not an object", () => {
    expect(setupOption(() => new Scope().use(null as unknown as KafkaMiddleware))).toBe("middleware");
    expect(setupOption(() => new Scope().use("mw" as unknown as KafkaMiddleware))).toBe("middleware");
  });

  it("bumps the version on use() and touch()", () => {
    const before = Scope.version;
    new Scope().use(mw("a"));
    const afterUse = Scope.version;
    expect(afterUse).not.toBe(before);
    Scope.touch();
    expect(Scope.version).not.toBe(afterUse);
    const stable = Scope.version;
    new Scope({ middlewares: [mw("b")] }).chain();
    expect(Scope.version).toBe(stable);
  });
});

describe("checkAckPolicy", () => {
  it("returns valid policies and undefined when unset", () => {
    expect(checkAckPolicy(undefined)).toBeUndefined();
    for (const policy of ["ack_first", "ack", "reject_on_error", "nack_on_error", "manual"]) {
      expect(checkAckPolicy(policy)).toBe(policy);
    }
    expect(setupOption(() => checkAckPolicy("nack", "handler.ackPolicy"))).toBe("handler.ackPolicy");
  });
});
