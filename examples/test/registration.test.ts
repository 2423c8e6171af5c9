// How users test their handlers with TestKafkaBroker (quoted in the README): in memory, no
// cluster, no network.
import { HandlerFailedError, TestKafkaBroker } from "@faststream/kafkajs";
import { afterEach, beforeEach, expect, it } from "vitest";
import { audit, broker, registration } from "../testing/registration.js";

const tb = new TestKafkaBroker(broker);
beforeEach(() => tb.start());
afterEach(() => tb.stop());

it("registers a user and publishes the greeting", async () => {
  await broker.publish({ user: "John", user_id: 1 }, "in-topic");

  expect(tb.calls(registration)).toHaveLength(1);
  expect(tb.calls(registration)[0]?.result).toBe("User: 1 - John registered");
  const [greeting] = await tb.waitForCall(audit);
  expect(greeting?.body).toBe("User: 1 - John registered");
  expect(tb.published("out-topic").map((r) => r.body)).toEqual(["User: 1 - John registered"]);
});

it("surfaces the handler's error to the test", async () => {
  await expect(broker.publish({ user: "Eve", user_id: -1 }, "in-topic")).rejects.toBeInstanceOf(HandlerFailedError);
});

it("does not call the handler for a body that fails the schema", async () => {
  await broker.publish({ user: "John" }, "in-topic");
  expect(tb.calls(registration)).toHaveLength(0);
});
