import { SetupError } from "@faststream/core";

/** PEM text or bytes. */
export type Pem = string | Buffer;

/** TLS settings. `true` means TLS with the system's trusted CAs. */
export type TlsOptions =
  | boolean
  | {
      /** Trusted CA certificate(s), PEM. */
      readonly ca?: Pem;
      /** Client certificate for mutual TLS, PEM. */
      readonly cert?: Pem;
      /** Client private key, PEM. */
      readonly key?: Pem;
      /** Passphrase of `key`. */
      readonly passphrase?: string;
      /** Verify the broker's certificate. Default true. */
      readonly rejectUnauthorized?: boolean;
    };

/** An OAUTHBEARER token. */
export interface OAuthBearerToken {
  readonly value: string;
  /** Principal name (confluent uses it; kafkajs ignores it). */
  readonly principal?: string;
  /** Lifetime in milliseconds since the epoch (when the token expires). */
  readonly lifetimeMs?: number;
  /** SASL extensions. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** SASL authentication. */
export type SaslOptions =
  | {
      readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
      readonly username: string;
      readonly password: string;
    }
  | { readonly mechanism: "oauthbearer"; readonly token: () => Promise<OAuthBearerToken> | OAuthBearerToken };

/** Security settings of a broker (one shape for both clients). */
export interface SecurityOptions {
  readonly tls?: TlsOptions;
  readonly sasl?: SaslOptions;
}

const MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512", "oauthbearer"];
const TLS_KEYS = new Set(["ca", "cert", "key", "passphrase", "rejectUnauthorized"]);

const isPem = (v: unknown): boolean => typeof v === "string" || Buffer.isBuffer(v);

/** Validates security options; every problem is a SetupError naming the option. */
export function checkSecurity(security: unknown): SecurityOptions | undefined {
  if (security === undefined) return undefined;
  if (typeof security !== "object" || security === null) throw new SetupError("security", "expected an object");
  for (const key of Object.keys(security)) {
    if (key !== "tls" && key !== "sasl")
      throw new SetupError(`security.${key}`, "unknown option; expected tls or sasl");
  }
  const { tls, sasl } = security as SecurityOptions;
  if (tls !== undefined && typeof tls !== "boolean") {
    if (typeof tls !== "object" || tls === null) throw new SetupError("security.tls", "expected true or an object");
    for (const key of Object.keys(tls)) {
      if (!TLS_KEYS.has(key))
        throw new SetupError(`security.tls.${key}`, `unknown option; expected ${[...TLS_KEYS].join(", ")}`);
    }
    for (const key of ["ca", "cert", "key"] as const) {
      if (tls[key] !== undefined && !isPem(tls[key]))
        throw new SetupError(`security.tls.${key}`, "expected PEM text or a Buffer");
    }
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      throw new SetupError(
        tls.cert === undefined ? "security.tls.cert" : "security.tls.key",
        "cert and key go together",
      );
    }
  }
  if (sasl !== undefined) {
    if (typeof sasl !== "object" || sasl === null || !MECHANISMS.includes((sasl as { mechanism: string }).mechanism)) {
      throw new SetupError("security.sasl.mechanism", `expected one of ${MECHANISMS.join(", ")}`);
    }
    if (sasl.mechanism === "oauthbearer") {
      if (typeof sasl.token !== "function")
        throw new SetupError("security.sasl.token", "expected a function returning a token");
    } else {
      for (const key of ["username", "password"] as const) {
        if (typeof sasl[key] !== "string" || !sasl[key])
          throw new SetupError(`security.sasl.${key}`, "expected a non-empty string");
      }
    }
  }
  return security as SecurityOptions;
}
