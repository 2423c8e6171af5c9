/**
 * The request scenario's shared part: readiness probing, the timed closed loop, and the raw
 * contenders' bookkeeping of requests waiting for their replies.
 */
import { emit, now, percentile } from "./protocol.js";

/** Requests made before timing starts. */
export const WARMUP_REQUESTS = 200;
/** How long one timed request may take. */
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Fetch max wait of every contender's request and reply consumers: the local cluster
 * (librdkafka's mock) answers a Fetch that finds no data only when the wait ends, so this
 * setting, not the code, would otherwise set the round trip.
 */
export const REQUEST_FETCH_WAIT_MS = 10;

/**
 * Requests waiting for their replies, by correlation id (the request's sequence number). The
 * raw contenders send through `send` and report each reply they read with {@link answered}.
 */
export class PendingReplies {
  readonly #send: (n: number, correlationId: string) => Promise<unknown> | undefined;
  readonly #waiting = new Map<string, () => void>();
  #seq = 0;

  /** `send(n, id)` sends request `{ n }` with correlation id `id`; it may throw or reject. */
  constructor(send: (n: number, correlationId: string) => Promise<unknown> | undefined) {
    this.#send = send;
  }

  /** A reply carrying `correlationId` was read (unknown or missing ids are ignored). */
  answered(correlationId: string | undefined): void {
    if (correlationId === undefined) return;
    const settle = this.#waiting.get(correlationId);
    if (!settle) return;
    this.#waiting.delete(correlationId);
    settle();
  }

  /** Sends the next request; resolves on its reply, rejects if sending fails or no reply comes in time. */
  call(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const n = this.#seq++;
      const id = String(n);
      const failed = (err: unknown): void => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        reject(err);
      };
      const timer = setTimeout(() => failed(new Error(`request ${id} got no reply within ${timeoutMs} ms`)), timeoutMs);
      this.#waiting.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        this.#send(n, id)?.catch(failed);
      } catch (err) {
        failed(err);
      }
    });
  }
}

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

/** The raw responders' work: `{ n }` in, `{ n: n + 1 }` out. */
export function answer(value: Buffer | null): string {
  try {
    const body = JSON.parse(value?.toString("utf8") ?? "null") as { n?: unknown };
    if (typeof body?.n === "number") return JSON.stringify({ n: body.n + 1 });
  } catch {
    // answered below
  }
  return JSON.stringify({ error: "bad request" });
}
