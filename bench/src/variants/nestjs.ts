/**
 * Baseline "nestjs-kafkajs": NestJS microservices (`@nestjs/microservices` v11, `Transport.KAFKA`,
 * which runs on kafkajs 2.2.4) written the way the NestJS docs show it: a microservice from
 * `NestFactory.createMicroservice`, a controller with `@EventPattern` / `@MessagePattern` handlers,
 * validation in a pipe on `@Payload()`, and a `ClientKafka` for `emit()` / `send()`.
 *
 * Settings (they go next to the numbers in BENCHMARKS.md); everything not listed is the NestJS /
 * kafkajs default:
 * - Microservice: `consumer.groupId` = BENCH_GROUP with `postfixId: ""` (NestJS appends "-server"
 *   otherwise), `subscribe.fromBeginning: true`. NestJS always runs kafkajs with `eachMessage`
 *   (one handler call per record, awaited) and kafkajs auto-commit (the offsets of a fetched batch
 *   are committed once its records are handled).
 * - pipeline, consume: `run.partitionsConsumedConcurrently: 3` (one per input partition; the
 *   default, 1, handles one partition at a time).
 * - pipeline: zod schema `{user: string, user_id: int}` in a `PipeTransform` on `@Payload()`; the
 *   handler returns the `ClientKafka.emit(outTopic, registered(u))` Observable, so NestJS awaits the
 *   publish before the record counts as handled (at-least-once). That client is
 *   `producerOnlyMode: true` (no reply consumer) and sends one record per `emit()` — NestJS does not
 *   batch and kafkajs has no linger, so it is one Produce request (acks -1) per input record.
 *   (A record failing validation is not skipped: NestJS rethrows an event handler's error to
 *   kafkajs, which retries the record over and over; the bench input is always valid.)
 * - publish: `producerOnlyMode` ClientKafka, `count` `emit()`s of a `payloadBytes` Buffer, 32 in
 *   flight (closed loop, each awaited with `lastValueFrom`), acks -1. Firing all of them at once is
 *   slower here: 100k concurrent one-record sends time out kafkajs' connections and retry.
 * - request: body `{"n":i}`, reply `{"n":i+1}`. Responder = the microservice's `@MessagePattern`
 *   handler; requester = a ClientKafka with `subscribeToResponseOf(inTopic)` (replies on
 *   `${inTopic}.reply`, auto-created, group `${BENCH_GROUP}-client`, from the beginning) and
 *   `send()` with a 30 s rxjs `timeout`. `ready` once the reply consumer has its assignment (before
 *   that `send()` throws). Both consumers use `maxWaitTimeInMs: 10`: the local cluster (librdkafka's
 *   mock) answers an empty fetch only after the full max wait, even when records arrive meanwhile,
 *   so the default 5000 ms would measure the mock, not NestJS. 200 warm-up requests, then `count`
 *   timed ones with BENCH_CONCURRENCY in flight.
 * - Producers: kafkajs `Partitioners.DefaultPartitioner` set explicitly (silences its v2 warning;
 *   keyless records go round-robin). Logs: kafkajs `logLevel: ERROR`; NestJS (and kafkajs through
 *   it) write errors and warnings to stderr only.
 * - rss: not supported.
 *
 * Decorators are applied as plain calls at runtime (topic names come from the environment, and
 * tsx/esbuild emits no decorator metadata); nothing relies on constructor injection.
 */
import "reflect-metadata";
import { setTimeout as sleep } from "node:timers/promises";
import { Controller, Logger, type LoggerService, Module, type PipeTransform } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import {
  ClientKafka,
  EventPattern,
  MessagePattern,
  type MicroserviceOptions,
  Payload,
  RpcException,
  Transport,
} from "@nestjs/microservices";
import { logLevel, Partitioners } from "kafkajs";
import { lastValueFrom, timeout } from "rxjs";
import { z } from "zod";
import { emit, markFirst, now, onTerminate, readSettings, registered } from "../protocol.js";
import { closedLoop, REQUEST_FETCH_WAIT_MS, REQUEST_TIMEOUT_MS, timeRequests } from "../requests.js";

const settings = readSettings();
/** What SIGTERM closes, in reverse order of opening. */
const closers: (() => Promise<unknown>)[] = [];
onTerminate(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

/** Partitions handled at once (pipeline, consume): one per input partition. */
const PARTITIONS_CONCURRENTLY = 3;
/** `emit()`s in flight (publish). */
const PUBLISH_IN_FLIGHT = 32;

/** NestJS logs (and the kafkajs logs NestJS routes through its logger): errors and warnings, to stderr. */
class StderrLogger implements LoggerService {
  log(): void {}
  error(message: unknown, ...rest: unknown[]): void {
    process.stderr.write(`[nest] ${String(message)} ${rest.map(String).join(" ")}\n`);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    process.stderr.write(`[nest] ${String(message)} ${rest.map(String).join(" ")}\n`);
  }
}
const logger = new StderrLogger();
Logger.overrideLogger(logger);

const client = (clientId: string) => ({
  clientId,
  brokers: settings.brokers,
  // NestJS' types carry their own copy of kafkajs' enum.
  logLevel: logLevel.ERROR as number,
});
const producer = { createPartitioner: Partitioners.DefaultPartitioner };

const User = z.object({ user: z.string(), user_id: z.number().int() });
type User = z.infer<typeof User>;

/** Validation the NestJS way: a pipe on `@Payload()`. */
class UserPipe implements PipeTransform {
  transform(value: unknown): User {
    const result = User.safeParse(value);
    if (!result.success) throw new RpcException(result.error.message);
    return result.data;
  }
}

/** The client the pipeline handler publishes with (connected before the microservice starts). */
let outClient: ClientKafka | undefined;
let seen = 0;

class BenchController {
  /** pipeline: returning `emit()`'s Observable makes NestJS await the publish. */
  onUser(user: User) {
    markFirst();
    return outClient!.emit(settings.outTopic, registered(user));
  }

  /** consume. */
  onCount(): void {
    markFirst();
    if (++seen === settings.count) emit({ event: "done", t: now(), count: seen });
  }

  /** request: the responder. */
  onRequest(body: { n: number }): { n: number } {
    return { n: body.n + 1 };
  }
}
type Handler = "onUser" | "onCount" | "onRequest";

/** Applies a method decorator as TypeScript's legacy decorators do. */
function decorate(decorator: MethodDecorator, method: Handler): void {
  const proto = BenchController.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(proto, method)!;
  Object.defineProperty(proto, method, decorator(proto, method, descriptor) ?? descriptor);
}

/** Starts the microservice with the scenario's handler as its only route. */
async function startMicroservice(method: Handler) {
  const proto = BenchController.prototype;
  if (method === "onRequest") {
    decorate(MessagePattern(settings.inTopic), method);
    Payload()(proto, method, 0);
  } else {
    decorate(EventPattern(settings.inTopic), method);
    if (method === "onUser") Payload(new UserPipe())(proto, method, 0);
  }
  Controller()(BenchController);
  class AppModule {}
  Module({ controllers: [BenchController] })(AppModule);

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    logger,
    transport: Transport.KAFKA,
    options: {
      client: client("bench-nestjs"),
      postfixId: "",
      consumer:
        method === "onRequest"
          ? { groupId: settings.groupId, maxWaitTimeInMs: REQUEST_FETCH_WAIT_MS }
          : { groupId: settings.groupId },
      subscribe: { fromBeginning: true },
      run: method === "onRequest" ? {} : { partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY },
      producer,
    },
  });
  closers.push(() => app.close());
  await app.listen();
}

try {
  switch (settings.scenario) {
    case "pipeline": {
      const out = new ClientKafka({ client: client("bench-nestjs-out"), producer, producerOnlyMode: true });
      closers.push(() => out.close());
      await out.connect();
      outClient = out;
      await startMicroservice("onUser");
      emit({ event: "ready", t: now() });
      break;
    }
    case "consume": {
      await startMicroservice("onCount");
      emit({ event: "ready", t: now() });
      break;
    }
    case "publish": {
      const pub = new ClientKafka({ client: client("bench-nestjs-pub"), producer, producerOnlyMode: true });
      closers.push(() => pub.close());
      await pub.connect();
      emit({ event: "ready", t: now() });
      const body = Buffer.alloc(settings.payloadBytes, 120);
      const start = now();
      await closedLoop(settings.count, PUBLISH_IN_FLIGHT, () => lastValueFrom(pub.emit(settings.inTopic, body)));
      emit({ event: "done", start, t: now(), count: settings.count });
      break;
    }
    case "request": {
      await startMicroservice("onRequest");
      const requester = new ClientKafka({
        client: client("bench-nestjs-req"),
        consumer: { groupId: settings.groupId, maxWaitTimeInMs: REQUEST_FETCH_WAIT_MS },
        subscribe: { fromBeginning: true },
        producer,
      });
      requester.subscribeToResponseOf(settings.inTopic);
      closers.push(() => requester.close());
      await requester.connect();
      // connect() returns before the reply consumer has joined its group, and send() throws
      // until it knows its reply partition.
      const replyTopic = `${settings.inTopic}.reply`;
      while (requester.getConsumerAssignments()[replyTopic] === undefined) await sleep(10);
      emit({ event: "ready", t: now() });

      let n = 0;
      await timeRequests(settings.count, settings.concurrency, () =>
        lastValueFrom(requester.send<{ n: number }>(settings.inTopic, { n: n++ }).pipe(timeout(REQUEST_TIMEOUT_MS))),
      );
      break;
    }
    default:
      throw new Error(`the NestJS variant does not support the ${settings.scenario} scenario`);
  }
} catch (err) {
  emit({ event: "error", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
