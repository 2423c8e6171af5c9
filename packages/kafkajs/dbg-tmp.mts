import { startLocalCluster } from "@faststream/kafka-local";
import { createKafkajsDriver } from "./src/driver.ts";
const cluster = await startLocalCluster({ brokers: 3 });
const t0 = Date.now();
const lines: string[] = [];
const log = (...a: unknown[]) => lines.push(`${Date.now() - t0} ${a.map((x) => typeof x === "string" ? x : JSON.stringify(x)).join(" ")}`);
const logger = { debug: log, info: log, warn: log, error: log };
const d = createKafkajsDriver({ brokers: cluster.bootstrapServers.split(","), clientId: "dbg", logger, connectTimeoutMs: 3000, requestTimeoutMs: 10000 });
await d.connect();
for (let round = 0; round < 25; round++) {
  const t = `t-${round}`;
  await cluster.createTopic(t, 2);
  await d.send([{ topic: t, key: null, value: Buffer.from("a"), headers: {}, partition: 0 }, { topic: t, key: null, value: Buffer.from("b"), headers: {}, partition: 1 }]);
  const mk = (name: string) => {
    let got = 0; let assigned: unknown[] = [];
    const waiters: (() => void)[] = [];
    const cb = {
      onBatch: async (b: any, c: any) => { for (const m of b.messages) { got++; c.resolveOffset(m.offset); } log(name, "batch", b.partition); waiters.forEach((w) => w()); },
      onAssigned: (p: unknown[]) => { assigned.push(p); log(name, "assigned", p); waiters.forEach((w) => w()); },
      onRevoked: (p: unknown) => log(name, "revoked", p), onLost: () => {}, onCrash: (e: Error) => log(name, "crash", e.message),
    };
    const c = d.createConsumer({ groupId: `g-${round}`, subscription: { kind: "topics", topics: [t] }, fromBeginning: true, sessionTimeoutMs: 3000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 3000, maxWaitMs: 200, maxBatchSize: 100, partitionsConcurrently: 1, isolationLevel: "read_uncommitted", assignmentStrategies: ["roundrobin"] }, cb as any);
    const until = (f: () => boolean, ms: number) => new Promise<boolean>((res) => { const tm = setTimeout(() => res(false), ms); const w = () => { if (f()) { clearTimeout(tm); res(true); } }; waiters.push(w); w(); });
    return { c, until, state: () => ({ got, assigned }) };
  };
  const a = mk("A"); await a.c.start(); log("A started");
  await a.until(() => a.state().got >= 2, 20000);
  log("A got 2");
  const b = mk("B"); await b.c.start(); log("B started");
  const ok = await b.until(() => (b.state().assigned as unknown[][]).some((x) => x.length === 1), 20000);
  log("round", round, ok); console.log("round", round, ok, Date.now() - t0);
  if (!ok) { console.log(lines.join("\n")); break; }
  await Promise.all([a.c.stop(), b.c.stop()]);
  lines.length = 0;
}
await d.disconnect(); await cluster.stop();
