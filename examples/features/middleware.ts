// Middlewares: a timing middleware on the broker, a header-stamping publish hook, and an
// ExceptionMiddleware that turns known errors into fallback results.
import { ExceptionMiddleware, FastStream } from "@faststream/core";
import { KafkaBroker, type KafkaMiddleware } from "@faststream/kafkajs";
import { countdown, demo, servers } from "./_demo.js";

class NotFound extends Error {}

const cluster = await servers({ lookups: 1, answers: 1 });
const timing: KafkaMiddleware = {
  async consume(next, message) {
    const started = performance.now();
    try {
      return await next();
    } finally {
      console.log(`handled ${message.messageId} in ${(performance.now() - started).toFixed(1)} ms`);
    }
  },
  async publish(next, call) {
    call.headers["x-service"] = "lookup";
    return next();
  },
};
const broker = new KafkaBroker(cluster.servers, { logLevel: "warn", middlewares: [timing] });
broker.use(new ExceptionMiddleware().on(NotFound, (err) => ({ found: false, reason: (err as Error).message })));
const app = new FastStream(broker);

const answers = countdown(2);
broker
  .subscriber("lookups", { groupId: "lookup", autoOffsetReset: "earliest", codec: "string" })
  .publisher("answers")
  .handle((id) => {
    if (id !== "42") throw new NotFound(`no item ${id}`);
    return { found: true, id };
  });
broker.subscriber("answers", { groupId: "print", autoOffsetReset: "earliest" }).handle((answer, message) => {
  console.log("answer", answer, "stamped by", message.headers["x-service"]);
  answers.tick();
});

await demo(app, cluster, async () => {
  await broker.publish("42", "lookups");
  await broker.publish("7", "lookups");
  await answers.done;
});
