// The seed example with standard (TC39) decorators on a class method. No
// experimentalDecorators, no reflect-metadata. Swap the import for @faststream/confluent.
import { FastStream } from "@faststream/core";
import { KafkaBroker } from "@faststream/kafkajs";
import { z } from "zod";
import { bootstrapServers, demo } from "./dev.js";

const broker = new KafkaBroker(await bootstrapServers());
const app = new FastStream(broker);

const User = z.object({ user: z.string(), user_id: z.number().int() });
type User = z.infer<typeof User>;

export class Registration {
  @broker.subscriber("in-topic", { schema: User, groupId: "registration", autoOffsetReset: "earliest" })
  @broker.publisher("out-topic")
  async handleMsg({ user, user_id }: User): Promise<string> {
    return `User: ${user_id} - ${user} registered`;
  }
}

demo(app, broker);
await app.run();
