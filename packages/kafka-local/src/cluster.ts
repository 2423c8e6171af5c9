import { loadMockApi, type MockApi, type Pointer } from "./native.js";

/** Options of {@link startLocalCluster}. */
export interface LocalClusterOptions {
  /** Number of brokers (ids 1..N). Default 3. */
  readonly brokers?: number;
  /** Topics to create up front, as `{ name: partitions }`. */
  readonly topics?: Readonly<Record<string, number>>;
  /**
   * Partitions of a topic the cluster creates on first use (auto-create). librdkafka's mock
   * fixes this at 4; the option exists so callers see the number in one place.
   */
  readonly logLevel?: number;
}

/** Kafka protocol API keys, for fault injection. */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  InitProducerId: 22,
} as const;

/**
 * The operations every handle on a local cluster offers, whether it owns the cluster
 * ({@link LocalKafkaCluster}) or drives one in another process ({@link LocalClusterClient}).
 */
export interface LocalClusterControl {
  /** Comma-separated `host:port` list to give Kafka clients. */
  readonly bootstrapServers: string;
  /** Creates a topic (no-op if it exists with any partition count). */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Disconnects a broker and refuses new connections (`-1`: all brokers). */
  brokerDown(brokerId: number): Promise<void>;
  /** Lets a broker accept connections again (`-1`: all brokers). */
  brokerUp(brokerId: number): Promise<void>;
  /** Delays every response of a broker by `rttMs`. */
  setBrokerRtt(brokerId: number, rttMs: number): Promise<void>;
  /** Moves a partition's leadership to another broker. */
  setPartitionLeader(topic: string, partition: number, brokerId: number): Promise<void>;
  /** Makes the next requests of `apiKey` fail, one Kafka error code each. */
  pushRequestErrors(apiKey: number, errorCodes: readonly number[]): Promise<void>;
  /** Drops the injected errors of `apiKey` that no request consumed yet. */
  clearRequestErrors(apiKey: number): Promise<void>;
  /** Shuts the cluster down (a client handle only detaches). */
  stop(): Promise<void>;
}

/** Error raised when a mock-cluster call fails; `code` is librdkafka's error name. */
export class LocalClusterError extends Error {
  override readonly name = "LocalClusterError";
  constructor(
    readonly operation: string,
    readonly code: string,
  ) {
    super(`local Kafka cluster: ${operation} failed with ${code}`);
  }
}

/**
 * A Kafka-protocol cluster running inside this process (librdkafka's mock cluster): real
 * brokers on 127.0.0.1 ports that any Kafka client can use.
 */
export class LocalKafkaCluster implements LocalClusterControl {
  readonly bootstrapServers: string;
  readonly brokerCount: number;
  #api: MockApi;
  #rk: Pointer;
  #mc: Pointer | undefined;

  private constructor(api: MockApi, rk: Pointer, mc: Pointer, brokers: number) {
    this.#api = api;
    this.#rk = rk;
    this.#mc = mc;
    this.brokerCount = brokers;
    this.bootstrapServers = api.bootstraps(mc);
  }

  /** @internal use {@link startLocalCluster}. */
  static create(options: LocalClusterOptions = {}): LocalKafkaCluster {
    const brokers = options.brokers ?? 3;
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 32) {
      throw new RangeError(`brokers must be an integer from 1 to 32, got ${String(brokers)}`);
    }
    const api = loadMockApi();
    const conf = api.confNew();
    api.confSet(conf, "log_level", String(options.logLevel ?? 3));
    const rk = api.kafkaNew(conf);
    const mc = api.clusterNew(rk, brokers);
    // Clients look for a controller in Metadata (idempotent producers need one).
    api.setControllerId(mc, 1);
    // kafkajs cannot parse the mock's LeaveGroup v3+ responses.
    api.setApiVersion(mc, ApiKey.LeaveGroup, 0, 2);
    // No artificial wait before the first group join.
    api.initialRebalanceDelay(mc, 0);
    const cluster = new LocalKafkaCluster(api, rk, mc, brokers);
    for (const [name, partitions] of Object.entries(options.topics ?? {})) {
      cluster.createTopicSync(name, partitions);
    }
    return cluster;
  }

  #handle(): Pointer {
    if (this.#mc === undefined) throw new LocalClusterError("call", "cluster stopped");
    return this.#mc;
  }

  #check(operation: string, code: number): void {
    if (code !== 0) throw new LocalClusterError(operation, this.#api.errName(code));
  }

  /** Synchronous form of {@link createTopic}. */
  createTopicSync(name: string, partitions: number): void {
    if (!name) throw new RangeError("topic name must not be empty");
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RangeError(`partitions must be a positive integer, got ${String(partitions)}`);
    }
    const code = this.#api.topicCreate(this.#handle(), name, partitions, 1);
    // TOPIC_ALREADY_EXISTS (36) is fine: creation is idempotent here.
    if (code !== 36) this.#check(`createTopic(${name})`, code);
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    this.createTopicSync(name, partitions);
  }

  async brokerDown(brokerId: number): Promise<void> {
    this.#check(`brokerDown(${brokerId})`, this.#api.brokerSetDown(this.#handle(), brokerId));
  }

  async brokerUp(brokerId: number): Promise<void> {
    this.#check(`brokerUp(${brokerId})`, this.#api.brokerSetUp(this.#handle(), brokerId));
  }

  async setBrokerRtt(brokerId: number, rttMs: number): Promise<void> {
    this.#check(`setBrokerRtt(${brokerId})`, this.#api.brokerSetRtt(this.#handle(), brokerId, rttMs));
  }

  async setPartitionLeader(topic: string, partition: number, brokerId: number): Promise<void> {
    this.#check(
      `setPartitionLeader(${topic}[${partition}])`,
      this.#api.partitionSetLeader(this.#handle(), topic, partition, brokerId),
    );
  }

  async pushRequestErrors(apiKey: number, errorCodes: readonly number[]): Promise<void> {
    this.#api.pushRequestErrors(this.#handle(), apiKey, errorCodes);
  }

  async clearRequestErrors(apiKey: number): Promise<void> {
    this.#api.clearRequestErrors(this.#handle(), apiKey);
  }

  /** Destroys the cluster; idempotent. */
  async stop(): Promise<void> {
    const mc = this.#mc;
    if (mc === undefined) return;
    this.#mc = undefined;
    this.#api.clusterDestroy(mc);
    this.#api.kafkaDestroy(this.#rk);
  }
}

/**
 * Starts a local Kafka-protocol cluster in this process.
 *
 * @example
 * const cluster = await startLocalCluster({ brokers: 3, topics: { "in-topic": 3 } });
 * console.log(cluster.bootstrapServers);
 * await cluster.stop();
 */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalKafkaCluster> {
  return LocalKafkaCluster.create(options);
}
