/**
 * FastStream on kafkajs or confluent (BENCH_ADAPTER), written the way the README shows it:
 * the seed example's subscriber/publisher pair, `broker.publish`, `broker.request`. Default
 * options everywhere (ack policy `ack` after the handler, order per partition, one worker),
 * except logs silenced and a fresh group reading from the beginning. The consume scenario reads
 * bodies with the `bytes` codec (the raw contenders do not parse them either). The publish
 * scenario keeps 8,000 `broker.publish` calls in flight (closed loop), as many records as the
 * raw kafkajs contender's 8 sends of 1,000. The request scenario uses a 10 ms fetch max wait for
 * the responder and the reply reader, as the raw contenders do (the local cluster answers an
 * empty fetch only when the wait ends). BENCH_FRAMEWORK_HEADERS=minimal (variants
 * `faststream-<adapter>-minimal`) sets the broker option `frameworkHeaders: "minimal"`: the
 * published records then carry no headers, like the raw contenders' records. BENCH_BATCH=1
 * (variants `faststream-<adapter>-batch`, pipeline only, with minimal headers) runs the pipeline
 * as a batch subscriber whose handler maps the batch's users, published by a `batch` publisher
 * (one message per result): the shape of the raw contenders' eachBatch loops.
 * BENCH_NO_CONFIRM=1 (variants `faststream-<adapter>-noconfirm`, publish only, with minimal
 * headers) publishes with `noConfirm: true` in one loop awaiting each call, then `flush()`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { emit, markFirst, now, onTerminate, PUBLISH_WINDOW, readSettings, registered, sampleRss } from "../protocol.js";
import { REQUEST_FETCH_WAIT_MS, REQUEST_TIMEOUT_MS, timeRequests } from "../requests.js";

const settings = readSettings();
const adapter = process.env["BENCH_ADAPTER"] ?? "kafkajs";
const { KafkaBroker } =
  adapter === "confluent" ? await import("@faststream/confluent") : await import("@faststream/kafkajs");

const broker = new KafkaBroker(settings.brokers, {
  clientId: `bench-${adapter}`,
  logLevel: "error",
  ...(process.env["BENCH_FRAMEWORK_HEADERS"] === "minimal" ? { frameworkHeaders: "minimal" as const } : {}),
  ...(settings.scenario === "request" ? { replyMaxWaitMs: REQUEST_FETCH_WAIT_MS } : {}),
});
onTerminate(() => broker.stop());

const User = z.object({ user: z.string(), user_id: z.number().int() });
const from = { groupId: settings.groupId, autoOffsetReset: "earliest" } as const;
let seen = 0;
try {
  switch (settings.scenario) {
    case "pipeline": {
      if (process.env["BENCH_BATCH"] === "1") {
        // Batches in, one message per result out: the shape of the raw contenders' loops.
        broker
          .subscriber(settings.inTopic, { schema: User, batch: true, ...from })
          .publisher(settings.outTopic, { batch: true })
          .handle(async (users) => {
            markFirst();
            return users.map((user) => registered(user));
          });
      } else {
        broker
          .subscriber(settings.inTopic, { schema: User, ...from })
          .publisher(settings.outTopic)
          .handle(async (user) => {
            markFirst();
            return registered(user);
          });
      }
      await broker.start();
      emit({ event: "ready", t: now() });
      break;
    }
    case "consume": {
      // The raw contenders do not parse the body either: the bytes codec hands it over as is.
      broker.subscriber(settings.inTopic, { ...from, codec: "bytes" }).handle(async () => {
        markFirst();
        if (++seen === settings.count) emit({ event: "done", t: now(), count: seen });
      });
      await broker.start();
      emit({ event: "ready", t: now() });
      break;
    }
    case "publish": {
      await broker.start();
      emit({ event: "ready", t: now() });
      const body = Buffer.alloc(settings.payloadBytes, 120);
      const start = now();
      if (process.env["BENCH_NO_CONFIRM"] === "1") {
        // Not awaiting acknowledgements: each call resolves once accepted (at once below
        // maxUnconfirmed, 10,000 by default), flush() waits for the last acknowledgement.
        const noConfirm = { noConfirm: true } as const;
        for (let i = 0; i < settings.count; i++) await broker.publish(body, settings.inTopic, noConfirm);
        await broker.flush();
        emit({ event: "done", start, t: now(), count: settings.count });
        break;
      }
      // PUBLISH_WINDOW publishes in flight (closed loop), as many as the raw kafkajs contender keeps.
      let next = 0;
      const publisher = async (): Promise<void> => {
        while (next < settings.count) {
          next++;
          await broker.publish(body, settings.inTopic);
        }
      };
      await Promise.all(Array.from({ length: PUBLISH_WINDOW }, publisher));
      emit({ event: "done", start, t: now(), count: settings.count });
      break;
    }
    case "request": {
      broker
        .subscriber(settings.inTopic, {
          ...from,
          maxWaitMs: REQUEST_FETCH_WAIT_MS,
          schema: z.object({ n: z.number() }),
        })
        .handle(async (body) => ({ n: body.n + 1 }));
      await broker.start();
      emit({ event: "ready", t: now() });
      await timeRequests(settings.count, settings.concurrency, () =>
        broker.request({ n: 1 }, settings.inTopic, { timeoutMs: REQUEST_TIMEOUT_MS }),
      );
      break;
    }
    case "rss": {
      const stopSampler = sampleRss();
      broker.subscriber(settings.inTopic, from).handle(async () => {
        if (markFirst()) {
          setTimeout(() => emit({ event: "rss", ...stopSampler() }), settings.durationMs);
        }
        await sleep(settings.handlerDelayMs);
      });
      await broker.start();
      emit({ event: "ready", t: now() });
      break;
    }
  }
} catch (err) {
  emit({ event: "error", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
