import { StateError } from "./errors.js";
import { consoleLogger, type Logger } from "./logger.js";

/** What the app needs of a broker: start (connect + run subscribers) and stop (drain + close). */
export interface BrokerLifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Health of the broker and its subscribers (optional). */
  health?(): Promise<HealthReport>;
}

/** What `health()` reports. */
export interface HealthReport {
  /** True when connected, answering, and no subscriber crashed. */
  readonly healthy: boolean;
  /** Details, e.g. crashed subscribers with their errors. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** A lifecycle hook; may be async. */
export type LifecycleHook = () => unknown | Promise<unknown>;

/** Options of {@link FastStream}. */
export interface FastStreamOptions {
  /** Logger for app events. Default: console at `info`. */
  readonly logger?: Logger;
  readonly onStartup?: LifecycleHook | readonly LifecycleHook[];
  readonly afterStartup?: LifecycleHook | readonly LifecycleHook[];
  readonly onShutdown?: LifecycleHook | readonly LifecycleHook[];
  readonly afterShutdown?: LifecycleHook | readonly LifecycleHook[];
}

/** Options of {@link FastStream.run}. */
export interface RunOptions {
  /** Signals that trigger a graceful stop. Default `SIGINT`, `SIGTERM`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Resolves `run()` early (stopping the app) when aborted. */
  readonly signal?: AbortSignal;
}

type State = "idle" | "starting" | "running" | "stopping";
type HookKind = "onStartup" | "afterStartup" | "onShutdown" | "afterShutdown";

const asList = (h: LifecycleHook | readonly LifecycleHook[] | undefined): LifecycleHook[] =>
  h === undefined ? [] : typeof h === "function" ? [h] : [...h];

/**
 * The application: owns a broker and runs lifecycle hooks around it.
 *
 * Order on start: `onStartup` hooks, broker start (connect, subscribers joined), `afterStartup`
 * hooks. On stop: `onShutdown` hooks, broker stop (drain in-flight handlers, commit, leave the
 * group, flush producers), `afterShutdown` hooks.
 *
 * @example
 * const app = new FastStream(broker);
 * await app.run(); // until SIGINT/SIGTERM, then a graceful stop
 */
export class FastStream {
  readonly logger: Logger;
  #broker: BrokerLifecycle | undefined;
  #hooks: Record<HookKind, LifecycleHook[]>;
  #state: State = "idle";
  #transition: Promise<void> = Promise.resolve();
  #abortStart = false;

  constructor(broker?: BrokerLifecycle, options: FastStreamOptions = {}) {
    this.#broker = broker;
    this.logger = options.logger ?? consoleLogger();
    this.#hooks = {
      onStartup: asList(options.onStartup),
      afterStartup: asList(options.afterStartup),
      onShutdown: asList(options.onShutdown),
      afterShutdown: asList(options.afterShutdown),
    };
  }

  /** The broker this app runs. */
  get broker(): BrokerLifecycle | undefined {
    return this.#broker;
  }

  /** Sets the broker (before start). */
  setBroker(broker: BrokerLifecycle): this {
    if (this.#state !== "idle") throw new StateError("cannot change the broker of a running app");
    this.#broker = broker;
    return this;
  }

  /** True between a completed start and the beginning of stop. */
  get running(): boolean {
    return this.#state === "running";
  }

  /**
   * Health for liveness/readiness probes: unhealthy when the app is not running, or the broker
   * reports a problem (a crashed subscriber, an unreachable cluster).
   */
  async health(): Promise<HealthReport> {
    if (this.#state !== "running") return { healthy: false, details: { state: this.#state } };
    if (!this.#broker?.health) return { healthy: true, details: { state: this.#state } };
    return this.#broker.health();
  }

  /** Adds a hook run before the broker starts. */
  onStartup(hook: LifecycleHook): this {
    this.#hooks.onStartup.push(hook);
    return this;
  }

  /** Adds a hook run after the broker started (publishing is possible here). */
  afterStartup(hook: LifecycleHook): this {
    this.#hooks.afterStartup.push(hook);
    return this;
  }

  /** Adds a hook run before the broker stops. */
  onShutdown(hook: LifecycleHook): this {
    this.#hooks.onShutdown.push(hook);
    return this;
  }

  /** Adds a hook run after the broker stopped. */
  afterShutdown(hook: LifecycleHook): this {
    this.#hooks.afterShutdown.push(hook);
    return this;
  }

  async #runHooks(kind: HookKind): Promise<void> {
    for (const hook of this.#hooks[kind]) await hook();
  }

  /** Starts the app. Idempotent while running; if start fails, what started is stopped again. */
  start(): Promise<void> {
    this.#transition = this.#transition
      .catch(() => undefined)
      .then(async () => {
        if (this.#state === "running") return;
        this.#state = "starting";
        this.#abortStart = false;
        try {
          await this.#runHooks("onStartup");
          await this.#broker?.start();
          if (this.#abortStart) {
            this.#state = "running"; // the queued stop() finishes the shutdown
            return;
          }
          await this.#runHooks("afterStartup");
          this.#state = "running";
          this.logger.info({}, "FastStream app started");
        } catch (err) {
          this.logger.error({ err }, "FastStream app failed to start; stopping");
          try {
            await this.#broker?.stop();
          } catch (stopErr) {
            this.logger.error({ err: stopErr }, "broker stop after a failed start also failed");
          }
          this.#state = "idle";
          throw err;
        }
      });
    return this.#transition;
  }

  /**
   * Stops the app gracefully. Idempotent. A start in progress is cut short (subscribers still
   * waiting to join their groups stop waiting) and then stopped.
   */
  stop(): Promise<void> {
    if (this.#state === "starting" && !this.#abortStart) {
      this.#abortStart = true;
      this.#broker?.stop().catch((err: unknown) => this.logger.error({ err }, "broker stop during start failed"));
    }
    this.#transition = this.#transition
      .catch(() => undefined)
      .then(async () => {
        if (this.#state !== "running") return;
        this.#state = "stopping";
        try {
          await this.#runHooks("onShutdown");
          await this.#broker?.stop();
          await this.#runHooks("afterShutdown");
          this.logger.info({}, "FastStream app stopped");
        } finally {
          this.#state = "idle";
        }
      });
    return this.#transition;
  }

  /**
   * Starts the app and serves until one of `signals` (default SIGINT/SIGTERM) arrives or
   * `signal` aborts, then stops gracefully. A second signal during the drain exits at once
   * with code 130.
   */
  async run(options: RunOptions = {}): Promise<void> {
    const signals = options.signals ?? ["SIGINT", "SIGTERM"];
    let stopping = false;
    let wake: (() => void) | undefined;
    const stopRequested = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) {
        this.logger.warn({ signal: sig }, "second signal during shutdown: exiting now");
        process.exit(130);
      }
      stopping = true;
      this.logger.info({ signal: sig }, "signal received: shutting down gracefully");
      wake?.();
    };
    for (const s of signals) process.on(s, onSignal);
    const onAbort = (): void => wake?.();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (options.signal?.aborted) return;
      await this.start();
      await stopRequested;
      stopping = true;
      await this.stop();
    } finally {
      for (const s of signals) process.off(s, onSignal);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }
}
