/** TLS and SASL settings (validated by the shared layer) in kafkajs' terms. */
import { SetupError } from "@faststream/core";
import type { SecurityOptions } from "@faststream/kafka";
import type { KafkaConfig } from "kafkajs";

/**
 * Maps security options onto kafkajs' `ssl` and `sasl` settings. kafkajs takes Node's TLS
 * options as they are, and for OAUTHBEARER only the token value: a token's principal and
 * lifetime are not needed (kafkajs asks for a token at each authentication), but SASL
 * extensions cannot be sent, so a token carrying some fails authentication with a SetupError.
 *
 * @param security Validated security options, if any.
 * @returns The `ssl` and `sasl` parts of a kafkajs client config.
 */
export function kafkajsSecurity(security: SecurityOptions | undefined): Pick<KafkaConfig, "ssl" | "sasl"> {
  const config: Pick<KafkaConfig, "ssl" | "sasl"> = {};
  const { tls, sasl } = security ?? {};
  if (tls !== undefined) config.ssl = tls === true || tls === false ? tls : { ...tls };
  if (sasl?.mechanism === "oauthbearer") {
    const token = sasl.token;
    config.sasl = {
      mechanism: "oauthbearer",
      oauthBearerProvider: async () => {
        const { value, extensions } = await token();
        if (extensions && Object.keys(extensions).length > 0) {
          throw new SetupError("security.sasl.token", "kafkajs cannot send OAUTHBEARER extensions");
        }
        return { value };
      },
    };
  } else if (sasl) {
    const { username, password } = sasl;
    config.sasl =
      sasl.mechanism === "plain"
        ? { mechanism: "plain", username, password }
        : sasl.mechanism === "scram-sha-256"
          ? { mechanism: "scram-sha-256", username, password }
          : { mechanism: "scram-sha-512", username, password };
  }
  return config;
}
