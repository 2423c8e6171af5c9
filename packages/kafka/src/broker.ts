import {
  type AnySchema,
  type BrokerLifecycle,
  type Codec,
  type CodecName,
  type CodecOutput,
  ConnectionError,
  childLogger,
  consoleLogger,
  type InferOutput,
  isFastStreamError,
  type Logger,
  PublishError,
  resolveCodec,
  StateError,
} from "@faststream/core";
import type { DriverFactory, KafkaDriver, OutgoingRecord, RecordMetadata } from "./driver.js";
import {
  checkPublishOptions,
  checkTopic,
  type KafkaBrokerOptions,
  type KafkaPublishOptions,
  type KafkaPublisherOptions,
  type KafkaSubscriberOptions,
  type ResolvedBrokerOptions,
  resolveBrokerOptions,
  resolveSubscriberOptions,
} from "./options.js";
import { buildRecord, createPublisher, type KafkaPublisher, type RecordSink } from "./publisher.js";
import { createSubscriberFacade, type KafkaSubscriber, type SubscriberHost, SubscriberRuntime } from "./subscriber.js";

/** The body type a subscriber's handlers receive: the schema's output, else the codec's. */
export type BodyOf<S, C> = S extends AnySchema ? InferOutput<S> : CodecOutput<C>;

type State = "idle" | "connecting" | "connected" | "starting" | "running" | "stopping";

/**
 * The Kafka broker, written once over a {@link KafkaDriver}. Adapters export it as `KafkaBroker`
 * bound to their client library, so swapping backends is one import.
 */
export class KafkaBrokerBase implements BrokerLifecycle, RecordSink {
  /** Broker logger (console by default). */
  readonly logger: Logger;
  /** Normalised options. */
  readonly config: ResolvedBrokerOptions;
  readonly #driver: KafkaDriver;
  readonly #subscribers: SubscriberRuntime[] = [];
  readonly #publishers: KafkaPublisher[] = [];
  readonly #host: SubscriberHost;
  readonly #replyCodec = resolveCodec(undefined);
  #state: State = "idle";
  #connecting: Promise<void> | undefined;

  constructor(bootstrapServers: string | readonly string[], options: KafkaBrokerOptions, driverFactory: DriverFactory) {
    this.config = resolveBrokerOptions(bootstrapServers, options);
    const base = this.config.logger ?? consoleLogger({ level: this.config.logLevel });
    this.logger = childLogger(base, {});
    this.#driver = driverFactory({
      brokers: this.config.brokers,
      clientId: this.config.clientId,
      logger: this.logger,
      connectTimeoutMs: this.config.connectTimeoutMs,
      requestTimeoutMs: this.config.requestTimeoutMs,
    });
    this.#host = {
      logger: this.logger,
      clientId: this.config.clientId,
      startTimeoutMs: this.config.startTimeoutMs,
      gracefulTimeoutMs: this.config.gracefulTimeoutMs,
      publisher: (topic, opts) => this.publisher(topic, opts),
      publishReply: (body, topic, correlationId) =>
        this.send(buildRecord(topic, body, { correlationId }, undefined, this.#replyCodec)),
    };
  }

  /** Name of the client library behind this broker (`kafkajs`, `confluent`). */
  get driverName(): string {
    return this.#driver.capabilities.name;
  }

  /** True once `start()` completed and until `stop()` begins. */
  get running(): boolean {
    return this.#state === "running";
  }

  /**
   * Declares a subscriber. The handler's body type is inferred from `options.schema` (any
   * Standard Schema) or, without one, from `options.codec`.
   *
   * @example
   * broker.subscriber("in-topic", { schema: User }).handle(({ user, user_id }) => `${user_id} ${user}`);
   */
  subscriber<S extends AnySchema | undefined = undefined, C extends CodecName | Codec<unknown> = "auto">(
    topics: string | readonly string[],
    options: KafkaSubscriberOptions<S, C> = {},
  ): KafkaSubscriber<BodyOf<S, C>> {
    const runtime = new SubscriberRuntime(this.#host, resolveSubscriberOptions(topics, options));
    this.#subscribers.push(runtime);
    return createSubscriberFacade<BodyOf<S, C>>(runtime, this.#host);
  }

  /**
   * Declares a publisher for `topic` with default options. Use it on handlers (decorator or
   * wrapper) or call `publish` on it.
   */
  publisher(topic: string, options: KafkaPublisherOptions = {}): KafkaPublisher {
    const publisher = createPublisher(this, checkTopic(topic), options);
    this.#publishers.push(publisher);
    return publisher;
  }

  /** Declared publishers. */
  get publishers(): readonly KafkaPublisher[] {
    return this.#publishers;
  }

  /**
   * Publishes one message. `null` with a key is a tombstone.
   *
   * @example
   * await broker.publish({ user: "John", user_id: 1 }, "in-topic", { key: "john" });
   */
  async publish(body: unknown, topic: string, options?: KafkaPublishOptions): Promise<RecordMetadata> {
    checkTopic(topic);
    if (options) checkPublishOptions(options, false);
    const codec = resolveCodec(options?.codec);
    return this.send(buildRecord(topic, body, options, undefined, codec));
  }

  /** Sends a built record (after connecting). @internal */
  async send(record: OutgoingRecord): Promise<RecordMetadata> {
    if (this.#state === "idle") {
      throw new StateError("the broker is not connected: call broker.start() (or app.start()) before publishing");
    }
    if (this.#connecting) await this.#connecting;
    try {
      const [meta] = await this.#driver.send([record]);
      return meta ?? { topic: record.topic, partition: record.partition ?? -1, offset: undefined };
    } catch (err) {
      if (isFastStreamError(err)) throw err;
      throw new PublishError(record.topic, err instanceof Error ? err.message : String(err), { cause: err });
    }
  }

  /** Connects the producer (subscribers start with `start()`). Idempotent. */
  connect(): Promise<void> {
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
              {
                cause: err,
              },
            );
      });
    return this.#connecting;
  }

  /** Connects and starts every declared subscriber; resolves once all joined their groups. */
  async start(): Promise<void> {
    if (this.#state === "running" || this.#state === "starting") return;
    await this.connect();
    this.#state = "starting";
    try {
      await Promise.all(this.#subscribers.map((s) => s.start(this.#driver)));
    } catch (err) {
      await this.stop();
      throw err;
    }
    // stop() was called while subscribers were joining: it owns the state now.
    if ((this.#state as State) !== "starting") return;
    this.#state = "running";
    this.logger.info(
      { driver: this.driverName, subscribers: this.#subscribers.length },
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
    try {
      await Promise.all(this.#subscribers.map((s) => s.stop()));
      await this.#driver.disconnect();
    } finally {
      this.#state = "idle";
    }
  }
}
