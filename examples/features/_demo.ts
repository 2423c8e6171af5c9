// Plumbing for the feature examples: each starts its app on KAFKA_BROKERS (or an embedded
// local cluster), runs a scenario, prints what happened and exits.
import type { FastStream } from "@faststream/core";
import { startLocalCluster } from "@faststream/kafka-local";

/** Bootstrap servers: KAFKA_BROKERS, else a fresh embedded cluster with these topics. */
export async function servers(topics: Record<string, number>): Promise<{ servers: string; stop: () => Promise<void> }> {
  const fromEnv = process.env["KAFKA_BROKERS"];
  if (fromEnv) return { servers: fromEnv, stop: async () => {} };
  const cluster = await startLocalCluster({ brokers: 1, topics });
  return { servers: cluster.bootstrapServers, stop: () => cluster.stop() };
}

/** Resolves after `n` calls of the returned `tick`. */
export function countdown(n: number): { tick: () => void; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  let left = n;
  return {
    tick: () => {
      if (--left === 0) resolve();
    },
    done,
  };
}

/** Starts the app, runs `scenario`, stops the app and the embedded cluster. */
export async function demo(
  app: FastStream,
  cluster: { stop: () => Promise<void> },
  scenario: () => Promise<void>,
): Promise<void> {
  await app.start();
  try {
    await scenario();
  } finally {
    await app.stop();
    await cluster.stop();
  }
  console.log("demo finished");
}
