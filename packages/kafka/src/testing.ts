import { AsyncLocalStorage } from "node:async_hooks";
import { isControlFlow, type PublishCall } from "@faststream/core";
import type { KafkaBrokerBase } from "./broker.js";
import type { HandlerCall } from "./declaration.js";
import type { KafkaDriver } from "./driver.js";
import { declarationOf } from "./facade.js";
import { HeaderName } from "./headers.js";
import type { KafkaMessage } from "./message.js";
import { MemoryCluster } from "./memory/cluster.js";
import { MemoryDriver } from "./memory/driver.js";
import { type KafkaMiddleware, Scope } from "./scope.js";

/** Options of {@link TestKafkaBroker}. */
export interface TestKafkaBrokerOptions {
  /** Run against the broker's real cluster instead of in memory (same API, same assertions). */
  readonly realCluster?: boolean;
  /** Share one in-memory cluster between several test brokers. */
  readonly cluster?: MemoryCluster;
  /**
   * Whether a publish from the test waits until the broker's own subscribers processed the
   * message (rethrowing a handler's error as {@link HandlerFailedError}). Default true.
   */
  readonly awaitProcessing?: boolean;
  /**
   * How long a publish from the test waits for the broker's own subscribers to process it
   * (so handler errors surface to the publisher). Default 10 000 ms.
   */
  readonly processTimeoutMs?: number;
}

/** A record published while the test broker was active. */
export interface PublishedRecord {
  readonly topic: string;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | Buffer>>;
}

/** Raised to the test's publish when a handler failed on the published message. */
export class HandlerFailedError extends Error {
  override readonly name = "HandlerFailedError";
  constructor(
    readonly topic: string,
    cause: unknown,
  ) {
    super(`a handler failed on the message published to "${topic}": ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
  }
}

interface Outcome {
  processedBy: Set<string>;
  errors: unknown[];
  waiters: (() => void)[];
}

const inHandler = new AsyncLocalStorage<true>();

/**
 * Runs a user's broker for tests: in memory (no network, no cluster) by default, or against the
 * real cluster with `realCluster: true`. Publishing from the test waits until the broker's own
 * subscribers processed the message and rethrows a handler's error; handler calls and
 * publishes are recorded; the broker is restored on `stop()` and can be tested again.
 *
 * @example
 * const tb = new TestKafkaBroker(broker);
 * await tb.start();
 * await broker.publish({ user: "John", user_id: 1 }, "in-topic");
 * expect(tb.calls(handleUser)[0].result).toBe("User: 1 - John registered");
 * await tb.stop();
 */
export class TestKafkaBroker<B extends KafkaBrokerBase = KafkaBrokerBase> {
  readonly broker: B;
  readonly #options: TestKafkaBrokerOptions;
  #saved: KafkaDriver | undefined;
  #active = false;
  #cluster: MemoryCluster | undefined;
  readonly #published: PublishedRecord[] = [];
  readonly #outcomes = new Map<string, Outcome>();
  readonly #spy: KafkaMiddleware;

  constructor(broker: B, options: TestKafkaBrokerOptions = {}) {
    this.broker = broker;
    this.#options = options;
    this.#spy = {
      consume: async (next, message) =>
        inHandler.run(true, async () => {
          try {
            return await next();
          } catch (err) {
            if (!isControlFlow(err)) this.#outcome(message.correlationId).errors.push(err);
            throw err;
          }
        }),
      afterProcessed: (message) => this.#processed(message),
      publish: async (next, call) => {
        this.#published.push({ topic: call.topic, body: call.body, headers: { ...call.headers } });
        const meta = await next();
        // A `noConfirm` publish resolves with nothing, before delivery: it waits for no handler.
        if (meta !== undefined && this.#options.awaitProcessing !== false && !inHandler.getStore()) {
          await this.#awaitProcessing(call, meta as { partition: number });
        }
        return meta;
      },
    };
  }

  /** The in-memory cluster in use (undefined with `realCluster`). */
  get cluster(): MemoryCluster | undefined {
    return this.#cluster;
  }

  /** Swaps in the in-memory transport and starts recording, without starting the broker. */
  enter(): B {
    if (this.#active) return this.broker;
    if (!this.#options.realCluster) {
      this.#cluster = this.#options.cluster ?? new MemoryCluster();
      this.#saved = this.broker.swapDriver(new MemoryDriver(this.#cluster));
    }
    this.broker.scope.middlewares.unshift(this.#spy);
    Scope.touch(); // subscribers rebuild their middleware chains with the spy

    for (const d of this.broker.subscriberDeclarations) d.spy = [];
    this.#published.length = 0;
    this.#outcomes.clear();
    this.#active = true;
    return this.broker;
  }

  /** Enters and starts the broker. */
  async start(): Promise<B> {
    this.enter();
    await this.broker.start();
    return this.broker;
  }

  /** Stops the broker and restores its own transport. */
  async stop(): Promise<void> {
    if (!this.#active) return;
    try {
      await this.broker.stop();
    } finally {
      const i = this.broker.scope.middlewares.indexOf(this.#spy);
      if (i !== -1) this.broker.scope.middlewares.splice(i, 1);
      Scope.touch();
      for (const d of this.broker.subscriberDeclarations) {
        d.spy = undefined;
        d.spyListeners.clear();
      }
      if (this.#saved) this.broker.swapDriver(this.#saved);
      this.#saved = undefined;
      this.#cluster = undefined;
      this.#active = false;
    }
  }

  /** Runs `fn` with a started test broker and always stops it. */
  static async run<B extends KafkaBrokerBase, R>(
    broker: B,
    fn: (tb: TestKafkaBroker<B>) => Promise<R>,
    options?: TestKafkaBrokerOptions,
  ): Promise<R> {
    const tb = new TestKafkaBroker(broker, options);
    await tb.start();
    try {
      return await fn(tb);
    } finally {
      await tb.stop();
    }
  }

  /** `await using tb = ...` support. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Calls recorded for a subscriber's handlers (body, message, result or error). */
  calls(subscriber: object): readonly HandlerCall[] {
    return declarationOf(subscriber).spy ?? [];
  }

  /** Waits until a subscriber's handlers were called `count` times (default 1). */
  waitForCall(
    subscriber: object,
    options: { count?: number; timeoutMs?: number } = {},
  ): Promise<readonly HandlerCall[]> {
    const decl = declarationOf(subscriber);
    const count = options.count ?? 1;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const ready = (): boolean => (decl.spy?.filter((c) => "result" in c || "error" in c).length ?? 0) >= count;
    if (ready()) return Promise.resolve(decl.spy!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        decl.spyListeners.delete(check);
        reject(new Error(`expected ${count} handler call(s) within ${timeoutMs} ms, got ${decl.spy?.length ?? 0}`));
      }, timeoutMs);
      const check = (): void => {
        if (!ready()) return;
        clearTimeout(timer);
        decl.spyListeners.delete(check);
        resolve(decl.spy!);
      };
      decl.spyListeners.add(check);
    });
  }

  /** Records published (directly or as handler results), optionally to one topic or publisher. */
  published(target?: string | { readonly topic: string }): readonly PublishedRecord[] {
    if (target === undefined) return this.#published;
    const topic = typeof target === "string" ? target : target.topic;
    return this.#published.filter((r) => r.topic === topic);
  }

  #outcome(correlationId: string): Outcome {
    let o = this.#outcomes.get(correlationId);
    if (!o) {
      o = { processedBy: new Set(), errors: [], waiters: [] };
      this.#outcomes.set(correlationId, o);
    }
    return o;
  }

  #processed(message: KafkaMessage<unknown>): void {
    const o = this.#outcome(message.correlationId);
    o.processedBy.add(message.groupId);
    for (const w of o.waiters.splice(0)) w();
  }

  async #awaitProcessing(call: PublishCall, meta: { partition: number }): Promise<void> {
    const correlationId = call.headers[HeaderName.correlationId];
    if (typeof correlationId !== "string") return;
    const groups = new Set(
      this.broker
        .runtimesFor(call.topic, meta.partition)
        .filter((r) => r.decl.handlers.length > 0)
        .map((r) => r.groupId),
    );
    if (groups.size === 0) return;
    const o = this.#outcome(correlationId);
    const timeoutMs = this.#options.processTimeoutMs ?? 10_000;
    const done = (): boolean => [...groups].every((g) => o.processedBy.has(g));
    if (!done()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no subscriber processed the message published to "${call.topic}" within ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
        const check = (): void => {
          if (done()) {
            clearTimeout(timer);
            resolve();
          } else o.waiters.push(check);
        };
        o.waiters.push(check);
      });
    }
    if (o.errors.length > 0) throw new HandlerFailedError(call.topic, o.errors[0]);
  }
}
