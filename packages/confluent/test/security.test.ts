import { describe, expect, it } from "vitest";
import { librdkafkaSecurity } from "../src/security.js";

describe("librdkafkaSecurity", () => {
  it("leaves plaintext alone", () => {
    expect(librdkafkaSecurity(undefined)).toEqual({});
    expect(librdkafkaSecurity({ tls: false })).toEqual({ "security.protocol": "plaintext" });
  });

  it("maps TLS with inline PEMs and verification off", () => {
    expect(
      librdkafkaSecurity({
        tls: { ca: Buffer.from("CA"), cert: "CERT", key: "KEY", passphrase: "pw", rejectUnauthorized: false },
      }),
    ).toEqual({
      "security.protocol": "ssl",
      "ssl.ca.pem": "CA",
      "ssl.certificate.pem": "CERT",
      "ssl.key.pem": "KEY",
      "ssl.key.password": "pw",
      "enable.ssl.certificate.verification": false,
      "ssl.endpoint.identification.algorithm": "none",
    });
  });

  it("maps SASL mechanisms and credentials, with or without TLS", () => {
    expect(librdkafkaSecurity({ sasl: { mechanism: "plain", username: "u", password: "p" } })).toEqual({
      "security.protocol": "sasl_plaintext",
      "sasl.mechanisms": "PLAIN",
      "sasl.username": "u",
      "sasl.password": "p",
    });
    expect(
      librdkafkaSecurity({ tls: true, sasl: { mechanism: "scram-sha-256", username: "u", password: "p" } }),
    ).toMatchObject({ "security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-256" });
  });

  it("refreshes OAUTHBEARER tokens through the token function", async () => {
    const config = librdkafkaSecurity({
      tls: true,
      sasl: { mechanism: "oauthbearer", token: async () => ({ value: "jwt", extensions: { a: "b" } }) },
    });
    expect(config["sasl.mechanisms"]).toBe("OAUTHBEARER");
    const before = Date.now();
    const token = await config.oauthbearer_token_refresh_cb?.();
    expect(token).toMatchObject({ tokenValue: "jwt", principal: "", extensions: { a: "b" } });
    expect(token?.lifetime).toBeGreaterThan(before);
  });
});
