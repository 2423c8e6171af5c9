// A service module as users write it: declarations only, started elsewhere (see seed/*.ts).
import { KafkaBroker } from "@faststream/kafkajs";
import { z } from "zod";

export const broker = new KafkaBroker(process.env["KAFKA_BROKERS"] ?? "localhost:9092", { logLevel: "warn" });

const User = z.object({ user: z.string(), user_id: z.number().int() });

export const registration = broker
  .subscriber("in-topic", { schema: User, groupId: "registration", autoOffsetReset: "earliest" })
  .publisher("out-topic")
  .handle(({ user, user_id }) => {
    if (user_id < 0) throw new RangeError("user_id must not be negative");
    return `User: ${user_id} - ${user} registered`;
  });

export const audit = broker.subscriber("out-topic", { groupId: "audit", codec: "string" }).handle(() => {});
