// Routers: group subscribers and publishers under a topic prefix with shared middlewares and
// ack policy, then include them in the broker (optionally under another prefix).
import { FastStream } from "@faststream/core";
import { KafkaBroker, KafkaRouter } from "@faststream/kafkajs";
import { z } from "zod";
import { countdown, demo, servers } from "./_demo.js";

const cluster = await servers({ "v1.orders.created": 1, "v1.orders.shipped": 1, "v1.billing.invoices": 1 });
const broker = new KafkaBroker(cluster.servers, { logLevel: "warn" });
const app = new FastStream(broker);

const Order = z.object({ id: z.string(), total: z.number() });
const seen = countdown(2);

const orders = new KafkaRouter({ prefix: "orders." });
const shipped = orders.publisher("shipped");
orders
  .subscriber("created", { schema: Order, groupId: "orders", autoOffsetReset: "earliest" })
  .publisher(shipped)
  .handle((order, message) => {
    console.log(`order ${order.id} (${order.total}) from ${message.topic}`);
    seen.tick();
    return { id: order.id, shippedAt: "2026-11-21" };
  });

const billing = new KafkaRouter({ prefix: "billing." });
billing
  .subscriber("invoices", { groupId: "billing", autoOffsetReset: "earliest", codec: "json" })
  .handle((invoice) => console.log("invoice", invoice));

orders.subscriber("shipped", { groupId: "notify", autoOffsetReset: "earliest" }).handle((event, message) => {
  console.log(`shipped event on ${message.topic}:`, event);
  seen.tick();
});

broker.includeRouter(orders, { prefix: "v1." }); // topics: v1.orders.created, v1.orders.shipped
broker.includeRouter(billing, { prefix: "v1." });

await demo(app, cluster, async () => {
  await broker.publish({ id: "o-1", total: 42 }, "v1.orders.created");
  await seen.done;
});
