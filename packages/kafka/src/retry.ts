import { DecodeError, isControlFlow, MessageError, SetupError, ValidationError } from "@faststream/core";

/** How long to wait between attempts. */
export type Backoff =
  | { readonly kind: "fixed"; readonly delayMs: number }
  | {
      readonly kind: "exponential";
      /** First delay. Default 100 ms. */
      readonly initialMs?: number;
      /** Largest delay. Default 30 000 ms. */
      readonly maxMs?: number;
      /** Growth per attempt. Default 2. */
      readonly factor?: number;
      /** Randomise each delay by up to this fraction (0-1). Default 0.2. */
      readonly jitter?: number;
    };

// biome-ignore lint/suspicious/noExplicitAny: error classes have arbitrary constructor signatures
type ErrorClass = abstract new (...args: any[]) => unknown;

/** Retries of a failing handler, before the ack policy settles the message. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** Delay between attempts. Default exponential from 100 ms. */
  readonly backoff?: Backoff;
  /**
   * Which errors are retried: error classes (subclasses included) or a predicate. Default: every
   * handler error. Decode and validation failures and control-flow errors are never retried.
   */
  readonly retryOn?: readonly ErrorClass[] | ((error: unknown) => boolean);
}

/** Normalised retry settings. @internal */
export interface RetryPolicy {
  readonly maxAttempts: number;
  delayMs(attempt: number): number;
  retries(error: unknown): boolean;
}

/** No retries. */
export const NO_RETRY: RetryPolicy = { maxAttempts: 1, delayMs: () => 0, retries: () => false };

/** Deterministic failures: a redelivery would fail the same way. */
export function isPermanent(error: unknown): boolean {
  return (
    error instanceof DecodeError ||
    error instanceof ValidationError ||
    (error instanceof MessageError && error.code === "NO_HANDLER") ||
    isControlFlow(error)
  );
}

const nonNegative = (v: unknown, option: string, fallback: number): number => {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new SetupError(option, "expected a number >= 0");
  return v;
};

/** Validates retry options (SetupError names the option). @internal */
export function resolveRetry(options: RetryOptions | undefined): RetryPolicy {
  if (options === undefined) return NO_RETRY;
  if (typeof options !== "object" || options === null) throw new SetupError("retry", "expected an object");
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new SetupError("retry.maxAttempts", "expected an integer >= 1");
  const backoff = options.backoff ?? { kind: "exponential" };
  let delayMs: (attempt: number) => number;
  if (backoff.kind === "fixed") {
    const d = nonNegative(backoff.delayMs, "retry.backoff.delayMs", 0);
    delayMs = () => d;
  } else if (backoff.kind === "exponential") {
    const initial = nonNegative(backoff.initialMs, "retry.backoff.initialMs", 100);
    const max = nonNegative(backoff.maxMs, "retry.backoff.maxMs", 30_000);
    const factor = nonNegative(backoff.factor, "retry.backoff.factor", 2);
    const jitter = nonNegative(backoff.jitter, "retry.backoff.jitter", 0.2);
    if (jitter > 1) throw new SetupError("retry.backoff.jitter", "expected a fraction from 0 to 1");
    delayMs = (attempt) => {
      const base = Math.min(max, initial * factor ** (attempt - 1));
      return Math.round(base * (1 - jitter * Math.random()));
    };
  } else {
    throw new SetupError("retry.backoff.kind", 'expected "fixed" or "exponential"');
  }
  const on = options.retryOn;
  let matches: (error: unknown) => boolean;
  if (on === undefined) matches = () => true;
  else if (typeof on === "function") matches = on;
  else if (Array.isArray(on) && on.every((c) => typeof c === "function")) {
    matches = (error) => on.some((c) => error instanceof c);
  } else {
    throw new SetupError("retry.retryOn", "expected error classes or a predicate");
  }
  return { maxAttempts, delayMs, retries: (error) => !isPermanent(error) && matches(error) };
}

/** Waits `ms`, sending group heartbeats meanwhile so a long backoff does not cost the assignment. */
export async function backoffWait(ms: number, heartbeat: (() => Promise<void>) | undefined): Promise<void> {
  const step = 1_000;
  for (let left = ms; left > 0; left -= step) {
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(step, left)));
    if (heartbeat) await heartbeat().catch(() => undefined);
  }
}
