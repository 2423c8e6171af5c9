/** The request scenario's shared part: readiness probing and the timed closed loop. */
import { emit, now, percentile } from "./protocol.js";

/** Requests made before timing starts. */
export const WARMUP_REQUESTS = 200;
/** How long one timed request may take. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Probes with `call(1000)` until one request is answered (up to 60 s), then emits `ready`. */
export async function probeUntilAnswered(call: (timeoutMs: number) => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await call(1_000);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
  emit({ event: "ready", t: now() });
}

/**
 * Runs `total` calls with `concurrency` in flight (each finished call starts the next),
 * recording each call's latency in ms into `latencies` when given.
 */
export async function closedLoop(
  total: number,
  concurrency: number,
  call: () => Promise<unknown>,
  latencies?: number[],
): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      const t0 = now();
      await call();
      latencies?.push(now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
}

/** Warms up, times `count` calls at `concurrency`, and emits the `latency` event. */
export async function timeRequests(count: number, concurrency: number, call: () => Promise<unknown>): Promise<void> {
  await closedLoop(WARMUP_REQUESTS, concurrency, call);
  const latencies: number[] = [];
  await closedLoop(count, concurrency, call, latencies);
  latencies.sort((a, b) => a - b);
  emit({
    event: "latency",
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((s, v) => s + v, 0) / latencies.length,
    count: latencies.length,
  });
}
