// The seed example (Python FastStream's Kafka quick start), plain-function form, on kafkajs.
// seed/confluent.ts is this file with one import changed.
import { FastStream } from "@faststream/core";
import { KafkaBroker } from "@faststream/kafkajs";
import { z } from "zod";
import { bootstrapServers, demo } from "./dev.js";

const broker = new KafkaBroker(await bootstrapServers()); // KAFKA_BROKERS, else an embedded cluster
const app = new FastStream(broker);

const User = z.object({ user: z.string(), user_id: z.number().int() });

broker
  .subscriber("in-topic", { schema: User, groupId: "registration", autoOffsetReset: "earliest" })
  .publisher("out-topic")
  .handle(async ({ user, user_id }) => `User: ${user_id} - ${user} registered`);

demo(app, broker); // embedded cluster only: publish a sample, log what reaches out-topic
await app.run();
