/**
 * Diagnostics for a failed fault case: what the topic's log really holds (read back with an
 * independent raw kafkajs consumer), to tell a message the producer never wrote from one the
 * consumers skipped, and a summary of the clients' warnings.
 */
import { Kafka, logLevel } from "kafkajs";
import { withTimeout } from "./timeout.js";
import type { LogLine } from "./env.js";
import type { Msg } from "./fault-harness.js";

/** Reads every record of `topic` up to its current end; resolves with the bodies found. */
export async function readLog(brokers: string, topic: string, timeoutMs = 20_000): Promise<Msg[]> {
  const kafka = new Kafka({ brokers: brokers.split(","), logLevel: logLevel.NOTHING, clientId: "fault-audit" });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)] as [number, number]),
  );
  await admin.disconnect();
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p));
  const found: Msg[] = [];
  const consumer = kafka.consumer({
    groupId: `fault-audit-${Date.now()}`,
    sessionTimeout: 6_000,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    if (remaining.size === 0) resolve();
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (message.value) found.push(JSON.parse(message.value.toString()) as Msg);
        if (Number(message.offset) >= (ends.get(partition) ?? 0) - 1) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    });
  });
  try {
    await withTimeout(done, timeoutMs, `reading ${topic} back`);
  } finally {
    await consumer.disconnect();
  }
  return found;
}

/** Of `lost` (ids `key#seq`), those the log holds and those it does not. */
export async function auditLost(
  brokers: string,
  topic: string,
  lost: readonly string[],
): Promise<{ inLog: number; notInLog: number; notInLogSample: string[] }> {
  const inLog = new Set((await readLog(brokers, topic)).map((m) => `${m.key}#${m.seq}`));
  const missing = lost.filter((id) => !inLog.has(id));
  return { inLog: lost.length - missing.length, notInLog: missing.length, notInLogSample: missing.slice(0, 5) };
}

/** The most frequent warning/error messages, `count x message`. */
export function warningSummary(lines: readonly LogLine[], top = 6): string[] {
  const counts = new Map<string, number>();
  for (const l of lines) {
    if (l.level !== "warn" && l.level !== "error") continue;
    const text = `${l.level} ${l.message}`.slice(0, 200);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([m, n]) => `${n} x ${m}`);
}
