import { RequestTimeoutError } from "@faststream/kafka";
import { expect, it } from "vitest";
import { fastConsumer, type SuiteContext } from "./context.js";
import { Collector, uniqueName } from "./env.js";

/** Request/reply, dynamic and pull subscribers, health. */
export function requestCases(ctx: SuiteContext): void {
  /** A broker whose reply reader joins fast on the test cluster. */
  const requester = () => ctx.broker({ replyTopic: uniqueName("replies") });

  it("request() returns the reply, through middlewares; publisher.request too; a silent topic times out", async () => {
    const t = await ctx.topic();
    const responder = await ctx.broker();
    responder
      .subscriber(t, { ...fastConsumer, groupId: uniqueName("g") })
      .handle((b) => ({ sum: (b as number[]).reduce((x, y) => x + y, 0) }));
    await responder.start();
    const client = await requester();
    const seen = new Collector<string>();
    client.use({
      publish: async (next, call) => {
        seen.push(call.topic);
        return next();
      },
    });
    const reply = await client.request([1, 2, 3], t, { timeoutMs: 20_000 });
    expect(reply.body).toEqual({ sum: 6 });
    expect(seen.items).toContain(t);
    const viaPublisher = await client.publisher(t).request([4, 5], { timeoutMs: 20_000 });
    expect(viaPublisher.body).toEqual({ sum: 9 });
    const silent = await ctx.topic();
    await expect(client.request("x", silent, { timeoutMs: 300 })).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it("1,000 concurrent requests to 2 responders in one group each get their own reply", async () => {
    const t = await ctx.topic(3);
    const group = uniqueName("responders");
    const responders = [await ctx.broker(), await ctx.broker()];
    const handledBy = [0, 0];
    responders.forEach((r, i) => {
      r.subscriber(t, { ...fastConsumer, groupId: group, codec: "json" }).handle((b) => {
        handledBy[i]!++;
        return { n: (b as { n: number }).n, doubled: (b as { n: number }).n * 2 };
      });
    });
    await responders[0]!.start();
    await responders[1]!.start();
    const client = await requester();
    const n = 1_000;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => client.request({ n: i }, t, { key: `k${i}`, timeoutMs: 60_000 })),
    );
    for (const [i, reply] of replies.entries()) expect(reply.body).toEqual({ n: i, doubled: i * 2 });
    expect(handledBy[0]! + handledBy[1]!).toBeGreaterThanOrEqual(n);
    expect(handledBy[0]).toBeGreaterThan(0);
    expect(handledBy[1]).toBeGreaterThan(0);
  }, 120_000);

  it("requests in flight while the responders' group rebalances all get their replies", async () => {
    const t = await ctx.topic(3);
    const group = uniqueName("responders");
    const responder = (broker: Awaited<ReturnType<SuiteContext["broker"]>>) =>
      broker
        .subscriber(t, { ...fastConsumer, groupId: group, codec: "json" })
        .handle((b) => ({ n: (b as { n: number }).n }));
    const first = await ctx.broker();
    responder(first);
    await first.start();
    const client = await requester();
    const pending = Array.from({ length: 200 }, (_, i) =>
      client.request({ n: i }, t, { key: `k${i}`, timeoutMs: 60_000 }),
    );
    // A second responder joins while requests are in flight: the group rebalances.
    const second = await ctx.broker();
    responder(second);
    await second.start();
    const more = Array.from({ length: 100 }, (_, i) =>
      client.request({ n: 200 + i }, t, { key: `m${i}`, timeoutMs: 60_000 }),
    );
    const replies = await Promise.all([...pending, ...more]);
    for (const [i, reply] of replies.entries()) expect(reply.body).toEqual({ n: i });
  }, 120_000);

  it("dynamic subscribers start and stop on their own after the broker started", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    await broker.start();
    const got = new Collector<unknown>();
    const sub = broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g") });
    sub.handle((b) => {
      got.push(b);
    });
    expect(sub.running).toBe(false);
    await sub.start();
    expect(sub.running).toBe(true);
    await broker.publish({ a: 1 }, t);
    expect(await got.waitFor(1)).toEqual([{ a: 1 }]);
    await sub.stop();
    expect(sub.running).toBe(false);
  });

  it("pull mode: getOne with a timeout and for-await iteration", async () => {
    const t = await ctx.topic();
    const broker = await ctx.broker();
    const sub = broker.subscriber(t, { ...fastConsumer, groupId: uniqueName("g"), codec: "string" });
    await broker.start();
    expect(await sub.getOne({ timeoutMs: 100 })).toBeUndefined();
    for (const x of ["a", "b", "c", "d"]) await broker.publish(x, t);
    const first = await sub.getOne({ timeoutMs: 20_000 });
    expect(first?.body).toBe("a");
    const rest: string[] = [];
    for await (const message of sub) {
      rest.push(message.body);
      if (rest.length === 3) break;
    }
    expect(rest).toEqual(["b", "c", "d"]);
  });

  it("ping() answers true for a reachable cluster", async () => {
    const broker = await ctx.broker();
    await broker.start();
    expect(await broker.ping(5_000)).toBe(true);
  });
}
