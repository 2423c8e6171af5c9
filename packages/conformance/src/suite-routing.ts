import { ExceptionMiddleware, type Middleware } from "@faststream/core";
import { KafkaRouter } from "@faststream/kafka";
import { expect, it } from "vitest";
import { fastConsumer, type SuiteContext } from "./context.js";
import { CapturingLogger, Collector, uniqueName } from "./env.js";

class NotFound extends Error {}
class NotFoundUser extends NotFound {}

/** Records hook calls for messages of `topic` only. */
function tracer(name: string, trace: string[], topic: () => string): Middleware<{ topic: string }> {
  const log = (m: { topic: string }, what: string): void => {
    if (m.topic === topic()) trace.push(`${name}:${what}`);
  };
  return {
    onReceive: (m) => log(m, "receive"),
    consume: async (next, m) => {
      log(m, "enter");
      const r = await next();
      log(m, "exit");
      return r;
    },
    publish: async (next, call) => {
      call.headers[`x-${name}`] = "1";
      return next();
    },
    afterProcessed: (m) => log(m, "after"),
  };
}

export function routingCases(ctx: SuiteContext): void {
  it("routers prefix topics, nest, and include with an extra prefix", async () => {
    const base = uniqueName("r").replace(/-/g, "_");
    for (const t of [`v1.${base}.orders.created`, `v1.${base}.orders.audit`]) await ctx.createTopic(t, 1);
    const broker = await ctx.broker();
    const outer = new KafkaRouter({ prefix: `${base}.` });
    const orders = new KafkaRouter({ prefix: "orders." });
    const audit = orders.publisher("audit");
    const got = new Collector<string>();
    orders
      .subscriber("created", { ...fastConsumer, groupId: uniqueName("g"), codec: "string" })
      .publisher(audit)
      .handle((x, m) => {
        got.push(`${m.topic}:${x}`);
        return `audited:${x}`;
      });
    orders.subscriber("audit", { ...fastConsumer, groupId: uniqueName("g"), codec: "string" }).handle((x, m) => {
      got.push(`${m.topic}:${x}`);
    });
    outer.includeRouter(orders);
    broker.includeRouter(outer, { prefix: "v1." });
    expect(audit.topic).toBe(`v1.${base}.orders.audit`);
    await broker.start();
    await broker.publish("o-1", `v1.${base}.orders.created`);
    expect((await got.waitFor(2)).sort()).toEqual(
      [`v1.${base}.orders.created:o-1`, `v1.${base}.orders.audit:audited:o-1`].sort(),
    );
  });

  it("middlewares run outer to inner on entry and inner to outer on exit, even when added late", async () => {
    const [t, out] = [await ctx.topic(), await ctx.topic()];
    const trace: string[] = [];
    const only = (): string => t;
    const results = new Collector<Record<string, unknown>>();
    const done = new Collector<void>();
    // Outermost, so its afterProcessed runs last.
    const last: Middleware<{ topic: string }> = { afterProcessed: (m) => (m.topic === t ? done.push() : undefined) };
    const broker = await ctx.broker({ middlewares: [last, tracer("broker", trace, only)] });
    const router = new KafkaRouter({ middlewares: [tracer("router", trace, only)] });
    router
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), middlewares: [tracer("subscriber", trace, only)] })
      .publisher(router.publisher(out))
      .handle(
        () => {
          trace.push("handler");
          return "r";
        },
        { middlewares: [tracer("handler", trace, only)] },
      );
    broker.includeRouter(router);
    broker.subscriber(out, { ...fastConsumer, groupId: uniqueName("g") }).handle((_b, m) => {
      results.push({ ...m.headers });
    });
    broker.use(tracer("late", trace, only));
    await broker.start();
    await broker.publish("go", t);
    const [headers] = await results.waitFor(1);
    await done.waitFor(1);
    expect(trace).toEqual([
      "broker:receive",
      "late:receive",
      "router:receive",
      "subscriber:receive",
      "broker:enter",
      "late:enter",
      "router:enter",
      "subscriber:enter",
      "handler:enter",
      "handler",
      "handler:exit",
      "subscriber:exit",
      "router:exit",
      "late:exit",
      "broker:exit",
      "subscriber:after",
      "router:after",
      "late:after",
      "broker:after",
    ]);
    for (const name of ["broker", "late", "router", "subscriber", "handler"]) expect(headers![`x-${name}`]).toBe("1");
  });

  it("codec precedence: subscriber over router over broker", async () => {
    const [a, b] = [await ctx.topic(), await ctx.topic()];
    const broker = await ctx.broker({ codec: "bytes" });
    const router = new KafkaRouter({ codec: "string" });
    const got = new Collector<string>();
    router.subscriber(a, { ...fastConsumer, groupId: uniqueName("g") }).handle((x) => got.push(`a:${typeof x}`));
    router
      .subscriber(b, { ...fastConsumer, groupId: uniqueName("g"), codec: "json" })
      .handle((x) => got.push(`b:${typeof x}`));
    broker.includeRouter(router);
    await broker.start();
    await broker.publish({ j: 1 }, a, { codec: "json" });
    await broker.publish({ j: 1 }, b, { codec: "json" });
    expect((await got.waitFor(2)).sort()).toEqual(["a:string", "b:object"]);
  });

  it("ExceptionMiddleware: the most specific handler wins; it can publish a fallback or suppress", async () => {
    const [t, out] = [await ctx.topic(), await ctx.topic()];
    const logger = new CapturingLogger();
    const broker = await ctx.broker({ logger });
    broker.use(
      new ExceptionMiddleware()
        .on(Error, () => undefined)
        .on(NotFound, () => "fallback:not-found")
        .on(NotFoundUser, (err) => `fallback:user:${(err as Error).message}`),
    );
    const got = new Collector<string>();
    broker
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" })
      .publisher(out)
      .handle((x) => {
        if (x === "user") throw new NotFoundUser("u-1");
        if (x === "thing") throw new NotFound("t-1");
        if (x === "other") throw new TypeError("suppressed");
        return `ok:${x}`;
      });
    broker.subscriber(out, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" }).handle((r) => {
      got.push(r);
    });
    await broker.start();
    for (const x of ["user", "thing", "other", "fine"]) await broker.publish(x, t);
    expect(await got.waitFor(3)).toEqual(["fallback:user:u-1", "fallback:not-found", "ok:fine"]);
    expect(logger.lines.filter((l) => l.level === "error")).toEqual([]);
  });

  it("handlers reach app-scoped context values and typed per-message dependencies", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    broker.context.set("greeting", "hello");
    const got = new Collector<string>();
    broker
      .subscriber(t, {
        ...fastConsumer,
        groupId: uniqueName("g"),
        codec: "string",
        dependencies: {
          upper: (m) => String(m.body).toUpperCase(),
          length: async (m) => String(m.body).length,
        },
      })
      .handle((body, m) => {
        const n: number = m.deps.length;
        got.push(`${String(m.context.get("greeting"))} ${m.deps.upper} ${n} ${body}`);
      });
    await broker.start();
    await broker.publish("abc", t);
    expect(await got.waitFor(1)).toEqual(["hello ABC 3 abc"]);
  });
}
