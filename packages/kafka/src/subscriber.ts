import { type AckPolicy, type Logger, type Settlement, StateError } from "@faststream/core";
import type { SubscriberDecl } from "./declaration.js";
import type {
  BatchControl,
  ConsumerCallbacks,
  DriverConsumer,
  KafkaDriver,
  OutgoingRecord,
  RawBatch,
  RawRecord,
  Settle,
  TopicPartition,
} from "./driver.js";
import { Committer, type PartitionState, partitionStateKey as key } from "./committer.js";
import { KafkaMessage, type MessageOrigin } from "./message.js";
import { PartitionOffsets } from "./offsets.js";
import { PullQueue } from "./pull.js";
import { type PipelineConfig, preparePulled, processBatch, processMessage, Suspension } from "./pipeline.js";
import type { RecordSink } from "./publisher.js";
import { buildPipelineConfig } from "./pipeline-config.js";
import { Scope } from "./scope.js";
import { LaneScheduler } from "./lanes.js";
import { UnackedResults } from "./unacked.js";
import type { ResolvedSubscriberOptions } from "./subscriber-options.js";
import { extractParams, type ResolvedTarget, resolveTarget } from "./target.js";

/** Batches' worth of results that may be unacknowledged when a batch ends (bounds memory). */
const UNACKED_BATCHES = 2;

/** What a running subscriber needs from its broker. @internal */
export interface BrokerHost extends RecordSink {
  readonly driver: KafkaDriver;
  readonly logger: Logger;
  readonly clientId: string;
  readonly startTimeoutMs: number;
  readonly gracefulTimeoutMs: number;
  replyRecord(body: unknown, topic: string, correlationId: string): OutgoingRecord;
  /** Sends a record with no publish middlewares, its outcome to `settle` (see `KafkaBrokerBase.deliver`). */
  deliver(record: OutgoingRecord, settle: Settle): void;
}

/** A subscriber bound to a broker: consumer lifecycle, scheduling, settlement, commits. @internal */
export class SubscriberRuntime implements ConsumerCallbacks {
  readonly decl: SubscriberDecl;
  readonly target: ResolvedTarget;
  readonly options: ResolvedSubscriberOptions;
  readonly groupId: string;
  readonly #host: BrokerHost;
  readonly #logger: Logger;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #lanes: LaneScheduler | undefined;
  #config: PipelineConfig | undefined;
  #configVersion = -1;
  #policy: AckPolicy = "reject_on_error";
  #consumer: DriverConsumer | undefined;
  #assigned: (() => void) | undefined;
  #crashed: Error | undefined;
  #stopping = false;
  readonly #committer: Committer;
  /** Messages whose results are being published past the end of their batch. */
  readonly #unacked = new UnackedResults();
  #pull: PullQueue | undefined;
  /** Batch callbacks in flight. */
  readonly #batches = new Set<Promise<void>>();

  constructor(decl: SubscriberDecl, host: BrokerHost) {
    this.decl = decl;
    this.#host = host;
    this.#logger = host.logger;
    this.options = decl.resolve(host.driver.capabilities);
    this.target = resolveTarget(decl.target, decl.scope.parent?.fullPrefix() ?? "");
    host.driver.checkSubscription?.(this.target.subscription);
    const ephemeral = `${host.clientId}-${crypto.randomUUID()}`;
    this.groupId = this.target.subscription.kind === "partitions" ? ephemeral : (this.options.groupId ?? ephemeral);
    // With maxWorkers > 1 the framework schedules handlers itself (the same on every client).
    this.#lanes =
      this.options.maxWorkers > 1 && !this.options.batch ? new LaneScheduler(this.options.maxWorkers) : undefined;
    decl.isRunning = () => this.#consumer !== undefined;
    this.#committer = new Committer({
      groupId: this.groupId,
      logger: this.#logger,
      consumer: () => this.#consumer,
      partitions: this.#partitions,
    });
  }

  /**
   * Pulls the next message of a subscriber without handlers; `undefined` on timeout or stop.
   * The previous pulled message is acknowledged (if still unsettled) when the next is asked for.
   */
  async pull(timeoutMs: number): Promise<KafkaMessage<unknown, unknown, unknown> | undefined> {
    if (!this.#consumer) throw new StateError(`subscriber on ${this.target.label} is not running`);
    if (!this.#pull) throw new StateError(`subscriber on ${this.target.label} has handlers; it cannot be pulled from`);
    return this.#pull.take(timeoutMs);
  }

  /** True while messages can be pulled. */
  get pullable(): boolean {
    return this.#consumer !== undefined && this.#pull !== undefined && !this.#pull.closed;
  }

  /** The puller is done with its last message. */
  releasePulled(): void {
    this.#pull?.release();
  }

  /** True while the consumer runs. */
  get running(): boolean {
    return this.#consumer !== undefined;
  }

  /** The error that stopped the consumer, if any. */
  get crashed(): Error | undefined {
    return this.#crashed;
  }

  /** Messages fetched and not yet settled, across partitions (bounded: backpressure). */
  get pending(): number {
    let n = 0;
    for (const s of this.#partitions.values()) n += s.offsets.inFlight;
    return n;
  }

  /** Partitions this member owns now, as `topic[partition]`. */
  get assignment(): string[] {
    return [...this.#partitions.values()].map((s) => `${s.origin.topic}[${s.origin.partition}]`);
  }

  #buildConfig(): PipelineConfig {
    if (this.#config && this.#configVersion === Scope.version) return this.#config;
    this.#policy = this.decl.scope.resolveAckPolicy();
    this.#config = buildPipelineConfig(this.decl, this.options, this.#host, this.target.label);
    this.#configVersion = Scope.version;
    return this.#config;
  }

  /** Connects the consumer and waits until it joined its group (or the start timeout passed). */
  async start(): Promise<void> {
    if (this.#consumer) return;
    // Without handlers the subscriber is pulled from (getOne / for await).
    if (this.decl.handlers.length === 0) {
      this.#pull ??= new PullQueue();
      this.#pull.reopen();
    } else {
      this.#pull = undefined;
    }
    this.#buildConfig();
    this.#stopping = false;
    // A commit left hanging by a previous run must not hold back this one's.
    this.#committer.reset();
    this.#crashed = undefined;
    const joined = new Promise<void>((resolve) => {
      this.#assigned = resolve;
    });
    this.#lanes?.reopen();
    const consumer = this.#host.driver.createConsumer(
      {
        ...this.options.consumer,
        // Lanes run the handlers; the client may hand over several partitions' batches at once
        // so a partition whose backlog is full does not hold the others back.
        partitionsConcurrently: this.options.consumer.partitionsConcurrently,
        groupId: this.groupId,
        subscription: this.target.subscription,
      },
      this,
    );
    this.#consumer = consumer;
    try {
      await consumer.start();
    } catch (err) {
      this.#consumer = undefined;
      throw err;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#host.startTimeoutMs);
    });
    const outcome = await Promise.race([joined, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.#logger.warn(
        { group: this.groupId, subscriber: this.target.label },
        `subscriber has not joined its group after ${this.#host.startTimeoutMs} ms; continuing in the background`,
      );
    }
  }

  /** Stops fetching, lets handlers in flight finish (up to the graceful timeout), commits, leaves the group. */
  async stop(): Promise<void> {
    this.#assigned?.();
    this.#assigned = undefined;
    this.#pull?.close();
    const consumer = this.#consumer;
    if (!consumer) return;
    this.#stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const graceful = this.#host.gracefulTimeoutMs;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceful);
    });
    const drained = async (): Promise<"stopped"> => {
      // Batches in flight end after their current message (the subscriber is stopping).
      await Promise.allSettled([...this.#batches]);
      // Results still being published: their messages settle (and commit) once acknowledged.
      await this.#unacked.below(0);
      if (this.#lanes) await this.#lanes.idle();
      // Final commit of everything handled, retried: a commit that failed earlier must not make
      // a graceful restart read the handled tail again.
      await this.#committer.final();
      this.#lanes?.close();
      await consumer.stop();
      return "stopped";
    };
    const outcome = await Promise.race([drained(), timedOut]);
    if (outcome === "timeout") this.#lanes?.close();
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.#logger.error(
        { group: this.groupId, subscriber: this.target.label },
        `handlers still running after gracefulTimeoutMs (${graceful} ms): their messages are not committed and will be redelivered`,
      );
    }
    for (const s of this.#partitions.values()) s.detached = true;
    this.#partitions.clear();
    this.#consumer = undefined;
  }

  #state(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let state = this.#partitions.get(k);
    if (!state) {
      const offsets = new PartitionOffsets();
      const origin: MessageOrigin = {
        topic,
        partition,
        groupId: this.groupId,
        logger: this.#logger,
        context: this.decl.scope.root().context,
        params: extractParams(this.target.params, topic),
        settle: (message, settlement) => this.#settle(state!, message.offset, settlement),
      };
      state = { offsets, origin, round: 0, gone: false, detached: false };
      this.#partitions.set(k, state);
    }
    return state;
  }

  #settle(state: PartitionState, offset: number, settlement: Settlement): void {
    if (state.detached) return; // revoked since
    if (settlement !== "nack") {
      state.offsets.settle(offset);
      this.#committer.request();
      return;
    }
    // A nack of a message an earlier nack already dropped: that rewind covers it.
    if (!state.offsets.isOpen(offset)) return;
    // Redeliver from the first unsettled message (never skip one still open before it).
    const from = Math.min(offset, state.offsets.firstOpen() ?? offset);
    state.offsets.rewind(from);
    state.round++;
    this.#consumer?.seek({ topic: state.origin.topic, partition: state.origin.partition, offset: String(from) });
  }

  onBatch(batch: RawBatch, control: BatchControl): Promise<void> {
    const done = this.#onBatch(batch, control);
    this.#batches.add(done);
    return done.finally(() => this.#batches.delete(done));
  }

  async #onBatch(batch: RawBatch, control: BatchControl): Promise<void> {
    const state = this.#state(batch.topic, batch.partition);
    const config = this.#buildConfig();
    const round = state.round;
    const live = (): boolean => control.isRunning() && !control.isStale() && !this.#stopping && state.round === round;
    const take = (record: RawRecord): KafkaMessage<unknown, unknown, unknown> => {
      const message = new KafkaMessage(state.origin, record);
      state.offsets.take(message.offset);
      return message;
    };
    /** Takes the whole batch: the client's next fetch starts after it. */
    const takeAll = (): KafkaMessage<unknown, unknown, unknown>[] => {
      const records = batch.messages;
      const messages = new Array<KafkaMessage<unknown, unknown, unknown>>(records.length);
      for (let i = 0; i < records.length; i++) messages[i] = take(records[i]!);
      if (records.length > 0) control.resolveOffset(records[records.length - 1]!.offset);
      return messages;
    };
    if (this.#pull) {
      for (const record of batch.messages) {
        if (!live()) break;
        const message = take(record);
        control.resolveOffset(record.offset);
        if (!(await preparePulled(config, message))) continue;
        if (!(await this.#pull.put(message))) break;
      }
      await this.#committer.commit([state]);
      return;
    }
    if (this.#policy === "ack_first") {
      // At-most-once: the whole batch is committed before any of it is handled.
      const messages = takeAll();
      for (const m of messages) m.ack();
      await this.#committer.commit([state]);
      await this.#dispatch(messages, config, live, control);
      return;
    }
    if (this.#lanes) {
      await this.#schedule(takeAll(), state, config);
      return;
    }
    // Offsets are committed in the background as messages settle (see #requestCommit).
    await this.#dispatch(takeAll(), config, live, control);
  }

  /**
   * Queues messages in lanes (per partition, or per partition and key) and returns once the
   * partition's backlog is back to at most one batch, so the client keeps fetching other
   * partitions while handlers run. Commits follow settlements.
   */
  async #schedule(
    messages: KafkaMessage<unknown, unknown, unknown>[],
    state: PartitionState,
    config: PipelineConfig,
  ): Promise<void> {
    const lanes = this.#lanes!;
    const group = key(state.origin.topic, state.origin.partition);
    const round = state.round;
    const byKey = this.options.ordering === "key";
    for (const m of messages) {
      const lane = byKey ? `${group}\u0000${m.key ? m.key.toString("latin1") : `#${m.offset}`}` : group;
      lanes.enqueue(lane, group, async () => {
        if (this.#stopping || state.gone || state.round !== round) return;
        if ((await processMessage(config, m, this.#policy)) === "stop") this.#stopSoon();
      });
    }
    await lanes.waitBelow(group, this.options.consumer.maxBatchSize);
  }

  async #dispatch(
    messages: KafkaMessage<unknown, unknown, unknown>[],
    config: PipelineConfig,
    live: () => boolean,
    control: BatchControl,
  ): Promise<void> {
    if (this.options.batch) {
      // As below: a batch's results are published while the next batches are handled.
      for (let i = 0; i < messages.length && live(); i += this.options.maxRecords) {
        const chunk = messages.slice(i, i + this.options.maxRecords);
        if ((await processBatch(config, chunk, this.#unacked)) === "stop") this.#stopSoon();
        await control.heartbeat();
      }
      await this.#unacked.below(this.options.consumer.maxBatchSize * UNACKED_BATCHES);
    } else {
      // Results are published while the next messages are handled, and past the end of the
      // batch; each message is settled (committable) once its result is acknowledged. A batch
      // ends only when no more than UNACKED_BATCHES batches' worth of results are unacknowledged.
      const publishing = this.#unacked;
      const policy = this.#policy;
      const suspension = new Suspension();
      for (const m of messages) {
        if (!live()) break;
        let after = processMessage(config, m, policy, control.heartbeat, publishing, suspension);
        if (after === suspension) {
          // The handler's promise, awaited here: no continuation of its own per message.
          let outcome: unknown;
          let failed = false;
          try {
            outcome = await suspension.pending;
          } catch (err) {
            outcome = err;
            failed = true;
          }
          after = failed ? suspension.fail(outcome) : suspension.resume(outcome);
        }
        if (typeof after !== "string") after = await after;
        if (after === "stop") {
          this.#stopSoon();
          break;
        }
      }
      await this.#unacked.below(this.options.consumer.maxBatchSize * UNACKED_BATCHES);
    }
  }

  #stopSoon(): void {
    this.#stopping = true;
    setImmediate(() => {
      this.stop().catch((err: unknown) => this.#logger.error({ err }, "stopping the subscriber failed"));
    });
  }

  onAssigned(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.#state(p.topic, p.partition);
    this.#logger.debug(
      { group: this.groupId, partitions: partitions.map((p) => `${p.topic}[${p.partition}]`) },
      "partitions assigned",
    );
    this.#assigned?.();
    this.#assigned = undefined;
    this.#hook("onAssigned", partitions);
  }

  async onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    const states = partitions
      .map((p) => this.#partitions.get(key(p.topic, p.partition)))
      .filter((s) => s !== undefined);
    await this.#committer.commit(states);
    for (const s of states) s.detached = true;
    for (const p of partitions) this.#partitions.delete(key(p.topic, p.partition));
    this.#hook("onRevoked", partitions);
  }

  onLost(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const k = key(p.topic, p.partition);
      const state = this.#partitions.get(k);
      if (state) {
        state.gone = true;
        state.detached = true;
      }
      this.#partitions.delete(k);
    }
    this.#logger.warn(
      { group: this.groupId, partitions: partitions.map((p) => `${p.topic}[${p.partition}]`) },
      "partitions lost",
    );
    this.#hook("onLost", partitions);
  }

  onCrash(error: Error): void {
    this.#crashed = error;
    this.#logger.error(
      { group: this.groupId, subscriber: this.target.label, err: error },
      "consumer crashed and stopped: the subscriber is unhealthy until restarted",
    );
    // Release what is left (pending pulls, waiting lanes, the client) without committing more.
    setImmediate(() => {
      this.stop().catch((err: unknown) => this.#logger.error({ err }, "stopping a crashed subscriber failed"));
    });
  }

  #hook(name: "onAssigned" | "onRevoked" | "onLost", partitions: readonly TopicPartition[]): void {
    const hook = this.options.hooks[name];
    if (!hook) return;
    Promise.resolve()
      .then(() => hook(partitions))
      .catch((err: unknown) => this.#logger.error({ err, group: this.groupId }, `${name} hook failed`));
  }
}
