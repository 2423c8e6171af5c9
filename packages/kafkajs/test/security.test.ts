import { SetupError } from "@faststream/core";
import { describe, expect, it } from "vitest";
import { kafkajsSecurity } from "../src/security.js";

describe("kafkajsSecurity", () => {
  it("leaves plaintext alone", () => {
    expect(kafkajsSecurity(undefined)).toEqual({});
  });

  it("passes TLS options and SASL credentials through", () => {
    const ca = Buffer.from("-----BEGIN CERTIFICATE-----");
    expect(
      kafkajsSecurity({
        tls: { ca, rejectUnauthorized: false },
        sasl: { mechanism: "scram-sha-512", username: "u", password: "p" },
      }),
    ).toEqual({
      ssl: { ca, rejectUnauthorized: false },
      sasl: { mechanism: "scram-sha-512", username: "u", password: "p" },
    });
    expect(kafkajsSecurity({ tls: true })).toEqual({ ssl: true });
  });

  it("hands OAUTHBEARER token values to kafkajs and refuses extensions", async () => {
    const config = kafkajsSecurity({
      sasl: { mechanism: "oauthbearer", token: () => ({ value: "jwt", principal: "me", lifetimeMs: 1 }) },
    });
    const sasl = config.sasl as { mechanism: string; oauthBearerProvider: () => Promise<unknown> };
    expect(sasl.mechanism).toBe("oauthbearer");
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: "jwt" });
    const withExtensions = kafkajsSecurity({
      sasl: { mechanism: "oauthbearer", token: async () => ({ value: "jwt", extensions: { a: "b" } }) },
    }).sasl as { oauthBearerProvider: () => Promise<unknown> };
    await expect(withExtensions.oauthBearerProvider()).rejects.toBeInstanceOf(SetupError);
  });
});
