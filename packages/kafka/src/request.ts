import { randomUUID } from "node:crypto";
import { FastStreamError, type Logger } from "@faststream/core";
import type { KafkaSubscriber } from "./facade.js";
import type { KafkaMessage } from "./message.js";
import type { KafkaPublishOptions } from "./options.js";

/** A request got no reply in time. */
export class RequestTimeoutError extends FastStreamError {
  constructor(
    readonly topic: string,
    readonly correlationId: string,
    timeoutMs: number,
  ) {
    super(
      "TIMEOUT",
      `no reply to the request sent to "${topic}" (correlation id ${correlationId}) within ${timeoutMs} ms`,
    );
  }
}

/** Options of a request: publish options plus how long to wait. */
export interface KafkaRequestOptions extends Omit<KafkaPublishOptions, "replyTo"> {
  /** How long to wait for the reply. Default 30 000 ms. */
  readonly timeoutMs?: number;
}

interface Pending {
  resolve(message: KafkaMessage<unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** What the request client needs from its broker. @internal */
export interface RequestHost {
  readonly logger: Logger;
  /** Declares the reply subscriber. */
  replySubscriber(topic: string): KafkaSubscriber<unknown>;
  /** Publishes through the broker's middlewares. */
  publish(body: unknown, topic: string, options: KafkaPublishOptions): Promise<unknown>;
}

/**
 * Request/reply over real Kafka: every app instance reads the reply topic through a group of
 * its own and picks its replies by correlation id, so many requests can be in flight without
 * crossing, and duplicate replies (after a responder rebalance) are ignored.
 * @internal
 */
export class RequestClient {
  readonly replyTopic: string;
  /** How long the reply reader may take to become ready. */
  readonly readyTimeoutMs = 60_000;
  readonly #host: RequestHost;
  readonly #pending = new Map<string, Pending>();
  #ready: Promise<void> | undefined;
  #subscriber: KafkaSubscriber<unknown> | undefined;
  #ping: { id: string; resolve: () => void } | undefined;

  constructor(host: RequestHost, replyTopic: string) {
    this.#host = host;
    this.replyTopic = replyTopic;
  }

  /** Starts reading replies once; resolves when a reply published from now on will be seen. */
  #ensureReady(): Promise<void> {
    this.#ready ??= (async () => {
      let sub = this.#subscriber;
      if (!sub) {
        sub = this.#host.replySubscriber(this.replyTopic);
        sub.handle((_body, message) => this.#onReply(message as KafkaMessage<unknown>));
        this.#subscriber = sub;
      }
      const id = `ping-${randomUUID()}`;
      const seen = new Promise<void>((resolve) => {
        this.#ping = { id, resolve };
      });
      const ping = () =>
        this.#host.publish(null, this.replyTopic, { correlationId: id, headers: { "faststream-ping": "1" } });
      // The first marker also creates the reply topic (auto-creation) before the reader subscribes.
      await ping();
      if (!sub.running) await sub.start();
      // The reader starts at the log end once its position is set; a marker it reads back proves
      // that, so no reply published after it can be missed. Markers repeat until one is seen.
      const deadline = Date.now() + this.readyTimeoutMs;
      let seenIt = false;
      void seen.then(() => {
        seenIt = true;
      });
      while (!seenIt) {
        if (Date.now() > deadline) {
          throw new FastStreamError("TIMEOUT", `the reply reader on "${this.replyTopic}" did not become ready`);
        }
        await ping();
        await Promise.race([seen, new Promise<void>((r) => setTimeout(r, 250).unref())]);
      }
    })().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  #onReply(message: KafkaMessage<unknown>): void {
    const id = message.correlationId;
    if (this.#ping && id === this.#ping.id) {
      this.#ping.resolve();
      this.#ping = undefined;
      return;
    }
    const pending = this.#pending.get(id);
    if (!pending) return; // another instance's reply, or a duplicate
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(message);
  }

  /** Sends `body` to `topic` and resolves with the reply message. */
  async request(body: unknown, topic: string, options: KafkaRequestOptions = {}): Promise<KafkaMessage<unknown>> {
    await this.#ensureReady();
    const { timeoutMs = 30_000, ...publishOptions } = options;
    const correlationId = publishOptions.correlationId ?? randomUUID();
    const reply = new Promise<KafkaMessage<unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(new RequestTimeoutError(topic, correlationId, timeoutMs));
      }, timeoutMs);
      this.#pending.set(correlationId, { resolve, reject, timer });
    });
    try {
      await this.#host.publish(body, topic, { ...publishOptions, correlationId, replyTo: this.replyTopic });
    } catch (err) {
      const pending = this.#pending.get(correlationId);
      if (pending) {
        clearTimeout(pending.timer);
        this.#pending.delete(correlationId);
      }
      throw err;
    }
    return reply;
  }

  /** Fails every request still waiting (the broker is stopping). */
  close(reason: string): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new FastStreamError("STOPPED", `request ${id} abandoned: ${reason}`));
    }
    this.#pending.clear();
    this.#ready = undefined;
  }

  /** The reply subscriber, once requests were made. */
  get subscriber(): KafkaSubscriber<unknown> | undefined {
    return this.#subscriber;
  }
}
