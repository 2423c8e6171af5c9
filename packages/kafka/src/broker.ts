import {
  type BrokerLifecycle,
  ConnectionError,
  type ContextRegistry,
  type HealthReport,
  childLogger,
  consoleLogger,
  isFastStreamError,
  type Logger,
  PublishError,
  StateError,
} from "@faststream/core";
import { type BatchItem, type BatchResult, publishItems } from "./batch-publish.js";
import { DEFAULT_COALESCER_LIMITS, recordBytes, SendCoalescer } from "./coalescer.js";
import { PublishSettle } from "./settle.js";
import { UnconfirmedPublishes } from "./unconfirmed.js";
import type { SubscriberDecl } from "./declaration.js";
import type { DriverFactory, KafkaDriver, OutgoingRecord, RecordMetadata, Settle } from "./driver.js";
import {
  checkPublishOptions,
  checkTopic,
  type KafkaBrokerOptions,
  type KafkaPublishCallOptions,
  type KafkaPublishOptions,
  type ResolvedBrokerOptions,
  resolveBrokerOptions,
} from "./options.js";
import { buildRecord, sendWithHooks, toPublishError } from "./publisher.js";
import type { KafkaMessage } from "./message.js";
import { KafkaRegistry, type RegistryHost } from "./registry.js";
import { type KafkaRequestOptions, RequestClient } from "./request.js";
import { type KafkaMiddleware, Scope } from "./scope.js";
import { type BrokerHost, SubscriberRuntime } from "./subscriber.js";

type State = "idle" | "connecting" | "connected" | "starting" | "running" | "stopping";

/**
 * The Kafka broker, written once over a {@link KafkaDriver}. Adapters export it as `KafkaBroker`
 * bound to their client library, so swapping backends is one import.
 */
export class KafkaBrokerBase extends KafkaRegistry implements BrokerLifecycle, RegistryHost, BrokerHost {
  /** Broker logger (console by default). */
  readonly logger: Logger;
  /** Normalised options. */
  readonly config: ResolvedBrokerOptions;
  #driver: KafkaDriver;
  readonly #runtimes = new Map<SubscriberDecl, SubscriberRuntime>();
  #state: State = "idle";
  #connecting: Promise<void> | undefined;
  readonly #requests: RequestClient;
  readonly #unconfirmed: UnconfirmedPublishes;
  /**
   * Single-record publishes of one event-loop turn leave together, in order: in one send, or
   * handed over one by one where the driver has `produce` (each then settles on its own).
   */
  readonly #coalescer = new SendCoalescer(
    (records) => this.#sendMany(records),
    () => ({
      maxRecords: this.#driver.capabilities.maxSendRecords ?? DEFAULT_COALESCER_LIMITS.maxRecords,
      maxBytes: DEFAULT_COALESCER_LIMITS.maxBytes,
      maxInFlight: DEFAULT_COALESCER_LIMITS.maxInFlight,
    }),
    () => this.#driver.produce?.bind(this.#driver),
  );

  constructor(bootstrapServers: string | readonly string[], options: KafkaBrokerOptions, driverFactory: DriverFactory) {
    const config = resolveBrokerOptions(bootstrapServers, options);
    const scopeOptions: Record<string, unknown> = {};
    for (const k of ["middlewares", "codec", "decoder", "ackPolicy"] as const)
      if (options[k] !== undefined) scopeOptions[k] = options[k];
    super(new Scope(scopeOptions));
    this.config = config;
    this.logger = childLogger(config.logger ?? consoleLogger({ level: config.logLevel }), {});
    this.#unconfirmed = new UnconfirmedPublishes(config.maxUnconfirmed, this.logger);
    this.#requests = new RequestClient(
      {
        logger: this.logger,
        replySubscriber: (topic) =>
          this.subscriber(topic, {
            description: "replies to this instance's requests",
            maxWaitMs: config.replyMaxWaitMs,
          }),
        // A request's options are a record's: it always waits for its publish (no noConfirm).
        publish: (body, topic, options) => {
          checkPublishOptions(options, "record");
          return this.publish(body, topic, options);
        },
      },
      config.replyTopic,
    );
    this.#driver = driverFactory({
      brokers: config.brokers,
      clientId: config.clientId,
      logger: this.logger,
      connectTimeoutMs: config.connectTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      maxRecordBytes: config.maxRecordBytes,
      security: config.security,
    });
  }

  protected override host(): RegistryHost {
    return this;
  }

  /** The client-library driver. @internal */
  get driver(): KafkaDriver {
    return this.#driver;
  }

  /** Replaces the driver of a stopped broker; returns the previous one. @internal (TestKafkaBroker) */
  swapDriver(driver: KafkaDriver): KafkaDriver {
    if (this.#state !== "idle") throw new StateError("stop the broker before replacing its transport");
    const previous = this.#driver;
    this.#driver = driver;
    return previous;
  }

  /** Running subscribers that read `topic`. @internal */
  runtimesFor(topic: string, partition: number): SubscriberRuntime[] {
    return [...this.#runtimes.values()].filter((r) => {
      if (!r.running) return false;
      const sub = r.target.subscription;
      if (sub.kind === "topics") return sub.topics.includes(topic);
      if (sub.kind === "pattern") return sub.pattern.test(topic);
      return sub.partitions.some((p) => p.topic === topic && (partition < 0 || p.partition === partition));
    });
  }

  /** Every subscriber declaration bound to this broker. @internal */
  get subscriberDeclarations(): SubscriberDecl[] {
    return [...this.#runtimes.keys()];
  }

  /** @internal */
  get clientId(): string {
    return this.config.clientId;
  }
  /** @internal */
  get startTimeoutMs(): number {
    return this.config.startTimeoutMs;
  }
  /** @internal */
  get gracefulTimeoutMs(): number {
    return this.config.gracefulTimeoutMs;
  }

  /** Name of the client library behind this broker (`kafkajs`, `confluent`, `memory`). */
  get driverName(): string {
    return this.#driver.capabilities.name;
  }

  /** App-scoped values handlers reach as `message.context`. */
  get context(): ContextRegistry {
    return this.scope.context;
  }

  /** True once `start()` completed and until `stop()` begins. */
  get running(): boolean {
    return this.#state === "running";
  }

  /** Subscribers whose consumer crashed (an unhealthy app). */
  get crashedSubscribers(): { target: string; error: Error }[] {
    return [...this.#runtimes.values()].flatMap((r) =>
      r.crashed ? [{ target: r.target.label, error: r.crashed }] : [],
    );
  }

  /** @internal binds a declaration to this broker. */
  materialize(decl: SubscriberDecl): void {
    if (this.#runtimes.has(decl)) return;
    this.#runtimes.set(decl, new SubscriberRuntime(decl, this));
  }

  /** @internal */
  runtime(decl: SubscriberDecl): SubscriberRuntime | undefined {
    return this.#runtimes.get(decl);
  }

  /** @internal starts one subscriber (connecting first). */
  async startSubscriber(runtime: SubscriberRuntime): Promise<void> {
    await this.connect();
    await runtime.start();
  }

  /** @internal true with `frameworkHeaders: "minimal"`. */
  get minimalHeaders(): boolean {
    return this.config.frameworkHeaders === "minimal";
  }

  /** @internal */
  replyRecord(body: unknown, topic: string, correlationId: string): OutgoingRecord {
    return buildRecord(topic, body, { correlationId }, undefined, this.scope.resolveCodec(), this.minimalHeaders);
  }

  /** @internal sends through publish middlewares. */
  sendThrough(record: OutgoingRecord, body: unknown, middlewares: readonly KafkaMiddleware[]): Promise<RecordMetadata> {
    // Without middlewares, no closure per publish.
    if (middlewares.length === 0) return this.#send(record);
    return sendWithHooks(middlewares, record, body, (r) => this.#send(r));
  }

  /** @internal sends through publish middlewares without waiting for the acknowledgement (`noConfirm`). */
  sendUnconfirmed(record: OutgoingRecord, body: unknown, middlewares: readonly KafkaMiddleware[]): Promise<undefined> {
    if (middlewares.length === 0) return this.#sendUnconfirmed(record);
    return sendWithHooks(middlewares, record, body, (r) => this.#sendUnconfirmed(r));
  }

  /**
   * Publishes one message through the broker's middlewares and resolves with where it landed
   * once the broker acknowledged it; with `noConfirm: true`, resolves once the record is
   * accepted (see {@link KafkaPublishCallOptions.noConfirm} and {@link flush}). `null` with a
   * key is a tombstone.
   *
   * @example
   * await broker.publish({ user: "John", user_id: 1 }, "in-topic", { key: "john" });
   * for (const event of events) await broker.publish(event, "metrics", { noConfirm: true });
   * await broker.flush();
   */
  publish(
    body: unknown,
    topic: string,
    options: KafkaPublishCallOptions & { readonly noConfirm: true },
  ): Promise<undefined>;
  publish(
    body: unknown,
    topic: string,
    options?: KafkaPublishCallOptions & { readonly noConfirm?: false },
  ): Promise<RecordMetadata>;
  publish(body: unknown, topic: string, options?: KafkaPublishCallOptions): Promise<RecordMetadata | undefined>;
  publish(body: unknown, topic: string, options?: KafkaPublishCallOptions): Promise<RecordMetadata | undefined> {
    let record: OutgoingRecord;
    try {
      checkTopic(topic);
      if (options) checkPublishOptions(options, "call");
      record = buildRecord(topic, body, options, undefined, this.#codecFor(options), this.minimalHeaders);
    } catch (err) {
      return Promise.reject(err);
    }
    if (options?.noConfirm === true) return this.sendUnconfirmed(record, body, this.scope.chain());
    // Not an async function: the send's own promise is returned, no wrapper per publish.
    return this.sendThrough(record, body, this.scope.chain());
  }

  /**
   * Resolves once every `noConfirm` publish made so far was acknowledged. Rejects with a
   * `PublishError` (the count, and the first failure as its `cause`) if any of them failed
   * since the previous `flush()`; each failure was also logged when it happened.
   */
  flush(): Promise<void> {
    return this.#unconfirmed.flush();
  }

  /**
   * Publishes many messages to `topic` in one request. Never rejects for a single message:
   * each gets its own result (an encoding error fails only that message).
   */
  publishBatch(items: readonly BatchItem[], topic: string): Promise<BatchResult[]> {
    try {
      checkTopic(topic);
    } catch (err) {
      return Promise.reject(err);
    }
    return publishItems(
      items,
      ({ body, ...options }) => {
        checkPublishOptions(options, "record");
        const record = buildRecord(topic, body, options, undefined, this.#codecFor(options), this.minimalHeaders);
        const refusal = this.#refusal(record);
        if (refusal) throw refusal;
        return record;
      },
      (records) => this.#sendMany(records),
    );
  }

  #codecFor(options: KafkaPublishOptions | undefined) {
    return options?.codec !== undefined
      ? new Scope({ codec: options.codec }).resolveCodec()
      : this.scope.resolveCodec();
  }

  #send(record: OutgoingRecord): Promise<RecordMetadata> {
    const settle = new PublishSettle();
    try {
      this.deliver(record, settle);
    } catch (err) {
      settle.reject(err);
    }
    return settle.promise;
  }

  #sendUnconfirmed(record: OutgoingRecord): Promise<undefined> {
    const refusal = this.#refusal(record);
    if (refusal) return Promise.reject(refusal);
    const room = this.#unconfirmed.accept();
    this.#enqueue(record, this.#unconfirmed);
    return room;
  }

  /**
   * @internal sends one record with no publish middlewares; its outcome goes to `settle` (for
   * handler results: no promise per message). A record refused at once (broker not connected,
   * over `maxRecordBytes`) is rejected before this returns.
   */
  deliver(record: OutgoingRecord, settle: Settle): void {
    const refusal = this.#refusal(record);
    if (refusal) settle.reject(refusal);
    else this.#enqueue(record, settle);
  }

  /** Why `record` cannot be sent at all (broker not connected, over `maxRecordBytes`), if it cannot. */
  #refusal(record: OutgoingRecord): Error | undefined {
    if (this.#state === "idle") {
      return new StateError("the broker is not connected: call broker.start() (or app.start()) before publishing");
    }
    const size = recordBytes(record);
    const max = this.config.maxRecordBytes;
    if (size > max) {
      return new PublishError(record.topic, `the record has ${size} bytes, more than maxRecordBytes (${max})`);
    }
    return undefined;
  }

  /** Queues a deliverable record (after the connection, while connecting). */
  #enqueue(record: OutgoingRecord, settle: Settle): void {
    if (this.#connecting) {
      this.#connecting.then(
        () => this.deliver(record, settle),
        (err: unknown) => settle.reject(err),
      );
      return;
    }
    this.#coalescer.enqueue(record, settle);
  }

  async #sendMany(records: OutgoingRecord[]): Promise<RecordMetadata[]> {
    if (this.#state === "idle") {
      throw new StateError("the broker is not connected: call broker.start() (or app.start()) before publishing");
    }
    if (this.#connecting) await this.#connecting;
    try {
      return await this.#driver.send(records);
    } catch (err) {
      throw toPublishError([...new Set(records.map((r) => r.topic))].join(", "), err);
    }
  }

  /**
   * Publishes a request to `topic` and resolves with the reply message (`reply.body` decoded).
   * Works on real Kafka: replies come back on `replyTopic`, matched by correlation id.
   * Rejects with {@link RequestTimeoutError} after `timeoutMs` (default 30 s).
   *
   * @example
   * const reply = await broker.request({ a: 1, b: 2 }, "sum", { timeoutMs: 5_000 });
   * reply.body; // 3
   */
  async request(body: unknown, topic: string, options?: KafkaRequestOptions): Promise<KafkaMessage<unknown>> {
    checkTopic(topic);
    if (this.#state === "idle") await this.connect();
    return this.#requests.request(body, topic, options);
  }

  /**
   * Health for probes: unhealthy when not running, when a subscriber's consumer crashed (it
   * stopped loudly and needs a restart), or when the cluster does not answer within `timeoutMs`.
   */
  async health(timeoutMs = 5_000): Promise<HealthReport> {
    const crashed = this.crashedSubscribers.map((c) => ({ subscriber: c.target, error: c.error.message }));
    const reachable = this.#state === "running" ? await this.ping(timeoutMs) : false;
    return {
      healthy: this.#state === "running" && reachable && crashed.length === 0,
      details: { state: this.#state, driver: this.driverName, reachable, crashed },
    };
  }

  /** True if the cluster answers a metadata request within `timeoutMs` (default 5 s). */
  ping(timeoutMs = 5_000): Promise<boolean> {
    return this.#driver.ping(timeoutMs);
  }

  /**
   * Connects the producer (subscribers start with `start()`); resolves once it can deliver at
   * once. Idempotent.
   */
  async connect(): Promise<void> {
    await this.#open();
    await this.#driver.ready?.();
  }

  /** Connects the driver's producer (its own setup may still run, see `KafkaDriver.ready`). */
  #open(): Promise<void> {
    if (this.#state !== "idle") return this.#connecting ?? Promise.resolve();
    this.#state = "connecting";
    this.#connecting = this.#driver
      .connect()
      .then(() => {
        this.#state = "connected";
        this.#connecting = undefined;
      })
      .catch((err: unknown) => {
        this.#state = "idle";
        this.#connecting = undefined;
        throw isFastStreamError(err)
          ? err
          : new ConnectionError(
              `cannot connect to Kafka at ${this.config.brokers.join(",")}: ${(err as Error)?.message ?? String(err)}`,
              { cause: err },
            );
      });
    return this.#connecting;
  }

  /**
   * Connects and starts every declared subscriber; resolves once all joined their groups and
   * the producer can deliver at once.
   */
  async start(): Promise<void> {
    if (this.#state === "running" || this.#state === "starting") return;
    await this.#open();
    this.#state = "starting";
    try {
      await Promise.all([this.#driver.ready?.(), ...[...this.#runtimes.values()].map((r) => r.start())]);
    } catch (err) {
      await this.stop();
      throw err;
    }
    // stop() was called while subscribers were joining: it owns the state now.
    if ((this.#state as State) !== "starting") return;
    this.#state = "running";
    this.logger.info(
      { driver: this.driverName, subscribers: this.#runtimes.size },
      `broker started on ${this.config.brokers.join(",")}`,
    );
  }

  /**
   * Graceful stop: subscribers stop fetching, in-flight handlers finish (up to
   * `gracefulTimeoutMs`), processed offsets are committed, consumers leave their groups, then
   * the producer flushes and disconnects. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#state === "idle" || this.#state === "stopping") return;
    if (this.#connecting) await this.#connecting.catch(() => undefined);
    this.#state = "stopping";
    this.#requests.close("the broker is stopping");
    try {
      await Promise.all([...this.#runtimes.values()].map((r) => r.stop()));
      await this.#coalescer.idle();
      await this.#driver.disconnect();
    } finally {
      this.#state = "idle";
    }
  }
}
