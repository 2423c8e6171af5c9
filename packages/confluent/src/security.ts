/** TLS and SASL settings (validated by the shared layer) in librdkafka's terms. */
import type { SecurityOptions } from "@faststream/kafka";

/** librdkafka properties for security (a subset of its global config). */
export interface LibrdkafkaSecurity {
  "security.protocol"?: "plaintext" | "ssl" | "sasl_plaintext" | "sasl_ssl";
  "ssl.ca.pem"?: string;
  "ssl.certificate.pem"?: string;
  "ssl.key.pem"?: string;
  "ssl.key.password"?: string;
  "enable.ssl.certificate.verification"?: boolean;
  "ssl.endpoint.identification.algorithm"?: "none" | "https";
  "sasl.mechanisms"?: string;
  "sasl.username"?: string;
  "sasl.password"?: string;
  oauthbearer_token_refresh_cb?: () => Promise<{
    tokenValue: string;
    lifetime: number;
    principal: string;
    extensions?: Record<string, string>;
  }>;
}

/** librdkafka asks for a new OAUTHBEARER token at 80% of its lifetime; 5 min when unknown. */
const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;

const MECHANISMS = {
  plain: "PLAIN",
  "scram-sha-256": "SCRAM-SHA-256",
  "scram-sha-512": "SCRAM-SHA-512",
  oauthbearer: "OAUTHBEARER",
} as const;

/**
 * Maps security options onto librdkafka properties (PEM text inline, SASL mechanism and
 * credentials, a token refresh callback for OAUTHBEARER). librdkafka honours all of them.
 * `rejectUnauthorized: false` turns off both certificate and host name verification, as in
 * Node. A token without a principal gets an empty one (brokers read it from the token); one
 * without a lifetime is treated as valid for 5 minutes, so it is asked for again after 4.
 *
 * @param security Validated security options, if any.
 * @returns Properties to merge into every client config.
 */
export function librdkafkaSecurity(security: SecurityOptions | undefined): LibrdkafkaSecurity {
  const { tls, sasl } = security ?? {};
  const config: LibrdkafkaSecurity = {};
  const useTls = tls !== undefined && tls !== false;
  if (tls !== undefined)
    config["security.protocol"] = sasl ? (useTls ? "sasl_ssl" : "sasl_plaintext") : useTls ? "ssl" : "plaintext";
  else if (sasl) config["security.protocol"] = "sasl_plaintext";
  if (typeof tls === "object") {
    if (tls.ca !== undefined) config["ssl.ca.pem"] = tls.ca.toString();
    if (tls.cert !== undefined) config["ssl.certificate.pem"] = tls.cert.toString();
    if (tls.key !== undefined) config["ssl.key.pem"] = tls.key.toString();
    if (tls.passphrase !== undefined) config["ssl.key.password"] = tls.passphrase;
    if (tls.rejectUnauthorized === false) {
      config["enable.ssl.certificate.verification"] = false;
      config["ssl.endpoint.identification.algorithm"] = "none";
    }
  }
  if (sasl) config["sasl.mechanisms"] = MECHANISMS[sasl.mechanism];
  if (sasl?.mechanism === "oauthbearer") {
    const token = sasl.token;
    config.oauthbearer_token_refresh_cb = async () => {
      const t = await token();
      return {
        tokenValue: t.value,
        lifetime: t.lifetimeMs ?? Date.now() + DEFAULT_TOKEN_LIFETIME_MS,
        principal: t.principal ?? "",
        ...(t.extensions ? { extensions: { ...t.extensions } } : {}),
      };
    };
  } else if (sasl) {
    config["sasl.username"] = sasl.username;
    config["sasl.password"] = sasl.password;
  }
  return config;
}
