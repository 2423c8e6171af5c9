// Manual acknowledgement: settle each message yourself, even after the handler returned. An
// unsettled message holds back the committed offset, so nothing after it is lost on restart.
import { FastStream } from "@faststream/core";
import { KafkaBroker } from "@faststream/kafkajs";
import { countdown, demo, servers } from "./_demo.js";

const cluster = await servers({ payments: 1 });
const broker = new KafkaBroker(cluster.servers, { logLevel: "warn" });
const app = new FastStream(broker);

const settled = countdown(3);
let attempts = 0;

broker
  .subscriber("payments", { groupId: "payments", autoOffsetReset: "earliest", ackPolicy: "manual", codec: "json" })
  .handle((payment, message) => {
    const { id } = payment as { id: string };
    // Simulate an external call finishing later: settle when it does.
    setTimeout(() => {
      if (id === "p-2" && attempts++ === 0) {
        console.log(`payment ${id}: gateway timeout, nack (it will come back)`);
        message.nack();
        return;
      }
      console.log(`payment ${id}: confirmed, ack (offset ${message.offset})`);
      message.ack();
      settled.tick();
    }, 10);
  });

await demo(app, cluster, async () => {
  for (const id of ["p-1", "p-2", "p-3"]) await broker.publish({ id }, "payments", { key: id });
  await settled.done;
});
