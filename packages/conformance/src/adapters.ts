/**
 * Loads a network adapter by name for scripts and child processes that run outside vitest
 * (the fault worker, the soak). The adapters depend on this package for their tests, so it
 * cannot depend on them: they are imported from their workspace sources instead (run with
 * `node --conditions=@faststream/source --import tsx`).
 */
import type { KafkaBrokerBase, KafkaBrokerOptions } from "@faststream/kafka";

/** Adapters that talk to a Kafka cluster. */
export const ADAPTERS = ["kafkajs", "confluent"] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/** Builds a broker of one adapter. */
export type MakeBroker = (servers: string, options: KafkaBrokerOptions) => KafkaBrokerBase;

/** Checks an adapter name given on a command line. */
export function adapterName(value: string | undefined): AdapterName {
  const found = ADAPTERS.find((a) => a === value);
  if (!found) throw new Error(`unknown adapter ${JSON.stringify(value)}; expected one of ${ADAPTERS.join(", ")}`);
  return found;
}

/** Imports `@faststream/<name>` from the workspace and returns its `KafkaBroker` constructor. */
export async function loadAdapter(name: AdapterName): Promise<MakeBroker> {
  const url = new URL(`../../${name}/src/index.ts`, import.meta.url).href;
  const mod = (await import(url)) as {
    KafkaBroker: new (servers: string, options: KafkaBrokerOptions) => KafkaBrokerBase;
  };
  return (servers, options) => new mod.KafkaBroker(servers, options);
}
