/**
 * Fault cases with injected request errors (retriable Kafka error codes the cluster answers
 * instead of doing the request): on Produce while publishing, on Fetch and on OffsetCommit while
 * consuming.
 */
import { ApiKey } from "@faststream/kafka-local";
import type { KafkaBrokerBase } from "@faststream/kafka";
import type { LogLine } from "./env.js";
import { type FaultContext, type FaultEnv, oneConsumer, PARTITIONS, type Scenario } from "./faults-context.js";
import { withTimeout } from "./timeout.js";

/** Kafka error codes used here. */
export const KafkaError = {
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  REBALANCE_IN_PROGRESS: 27,
} as const;

const E = KafkaError;

/** Injects `errors` for `apiKey` once `at` distinct messages were handled, then again at `again`. */
function consumingErrors(name: string, apiKey: number, errors: readonly number[], at: readonly number[]): Scenario {
  return {
    name,
    total: 1200,
    redelivery: "allowed",
    consumers: oneConsumer,
    async fault(env: FaultEnv) {
      for (const n of at) {
        await env.tracker.waitDistinct(n, 30_000, `${n} messages handled before errors are injected`);
        await env.control.pushRequestErrors(apiKey, errors);
      }
    },
    extra: () => ({ injected: `${at.length}x[${errors.join(",")}]` }),
  };
}

export function requestErrorCases(ctx: FaultContext): void {
  ctx.test("Produce requests fail with retriable errors while publishing (6, 7, 19)", () => {
    const errors = [E.NOT_LEADER_OR_FOLLOWER, E.REQUEST_TIMED_OUT, E.NOT_ENOUGH_REPLICAS];
    const at = [360, 720];
    return {
      name: "produce-errors",
      total: 1200,
      // Consumers see nothing of it: no message may be read twice from one offset.
      redelivery: "none",
      consumers: oneConsumer,
      fault: async () => {},
      // After the chunk that brought the count to `at` was acknowledged: the next ones fail first.
      async afterChunk(env, sent) {
        if (at.includes(sent)) await env.control.pushRequestErrors(ApiKey.Produce, [...errors, ...errors]);
      },
      extra: () => ({ injected: `${at.length}x[${[...errors, ...errors].join(",")}]` }),
    };
  });

  ctx.test("Fetch requests fail with retriable errors mid-stream (6, 7, 3)", () =>
    consumingErrors(
      "fetch-errors",
      ApiKey.Fetch,
      [E.NOT_LEADER_OR_FOLLOWER, E.REQUEST_TIMED_OUT, E.UNKNOWN_TOPIC_OR_PARTITION],
      [300, 700],
    ),
  );

  ctx.test("OffsetCommit requests fail with retriable errors mid-stream (27, 15, 16)", () =>
    consumingErrors(
      "commit-errors",
      ApiKey.OffsetCommit,
      [E.REBALANCE_IN_PROGRESS, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR],
      [300, 700],
    ),
  );

  ctx.test("OffsetCommit fails as the stream ends; after a graceful restart nothing is read again", () => {
    const total = 600;
    // REBALANCE_IN_PROGRESS: librdkafka retries commits that failed on coordinator errors, not this one.
    const errors = [E.REBALANCE_IN_PROGRESS];
    let first: KafkaBrokerBase | undefined;
    return {
      name: "commit-errors-restart",
      total,
      // stop() commits what was handled; the next instance starts after it.
      redelivery: "none",
      async consumers(env) {
        first = env.broker();
        env.subscribe(first, "app");
        await first.start();
      },
      async fault(env) {
        const at = total - 200;
        await env.tracker.waitDistinct(at, 30_000, `${at} messages handled before commits fail`);
        // More errors than commits left: every commit of the last 200 messages fails.
        await env.control.pushRequestErrors(ApiKey.OffsetCommit, Array.from({ length: 400 }, () => errors).flat());
      },
      async drain(env) {
        // The errors are cleared once the last offset of every partition was refused, so no
        // commit from the stream itself lands later: only stop() can still commit it.
        await lastCommitsRefused(env);
        await env.control.clearRequestErrors(ApiKey.OffsetCommit);
        await first?.stop();
        const next = env.broker();
        env.subscribe(next, "restarted");
        await next.start();
        // One marker per partition: what the restarted instance reads again comes before them.
        const markers = Array.from({ length: PARTITIONS }, (_, p) => ({ body: { marker: true }, partition: p }));
        await env.publisher.publishBatch(markers, env.topic);
        await env.markers.waitFor(PARTITIONS, 30_000);
      },
      extra: (env) => ({ readAgainAfterRestart: env.tracker.handledBy("restarted") }),
    };
  });
}

/**
 * Resolves once a failed commit of each partition's last offset was logged (the framework logs
 * `offset commit failed` with the offsets), or after 5 s: a transport that cannot tell a failed
 * commit from a good one logs nothing, and its failed commits are then all in the past anyway.
 */
async function lastCommitsRefused(env: FaultEnv): Promise<void> {
  const last = new Map<number, number>();
  for (const r of env.tracker.records) last.set(r.partition, Math.max(last.get(r.partition) ?? 0, r.offset + 1));
  const refused = (partition: number, offset: number) => (line: LogLine) =>
    line.level === "warn" &&
    Array.isArray(line.fields["offsets"]) &&
    (line.fields["offsets"] as { partition: number; offset: string }[]).some(
      (o) => o.partition === partition && Number(o.offset) >= offset,
    );
  const all = Promise.all([...last].map(([p, o]) => env.logger.waitFor(refused(p, o), 5_000)));
  await withTimeout(all, 5_000, "refused commits").catch(() => undefined);
}
