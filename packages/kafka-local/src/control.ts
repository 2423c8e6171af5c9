import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { LocalClusterError, type LocalClusterControl } from "./cluster.js";

/** A control endpoint over HTTP on 127.0.0.1, so other processes can drive the cluster. */
export interface ControlServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

async function readJson(req: IncomingMessage): Promise<Body> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new TypeError("expected a JSON object");
  return parsed as Body;
}

const num = (b: Body, k: string): number => {
  const v = b[k];
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`"${k}" must be an integer`);
  return v;
};
const str = (b: Body, k: string): string => {
  const v = b[k];
  if (typeof v !== "string" || !v) throw new TypeError(`"${k}" must be a non-empty string`);
  return v;
};

/** Operations the control endpoint exposes, by name. */
const OPERATIONS: Record<string, (c: LocalClusterControl, b: Body) => Promise<unknown>> = {
  info: async (c) => ({ bootstrapServers: c.bootstrapServers }),
  createTopic: (c, b) => c.createTopic(str(b, "name"), num(b, "partitions")),
  brokerDown: (c, b) => c.brokerDown(num(b, "brokerId")),
  brokerUp: (c, b) => c.brokerUp(num(b, "brokerId")),
  setBrokerRtt: (c, b) => c.setBrokerRtt(num(b, "brokerId"), num(b, "rttMs")),
  setPartitionLeader: (c, b) => c.setPartitionLeader(str(b, "topic"), num(b, "partition"), num(b, "brokerId")),
  pushRequestErrors: (c, b) => {
    const codes = b["errorCodes"];
    if (!Array.isArray(codes) || !codes.every((x) => Number.isInteger(x)))
      throw new TypeError('"errorCodes" must be integers');
    return c.pushRequestErrors(num(b, "apiKey"), codes as number[]);
  },
  clearRequestErrors: (c, b) => c.clearRequestErrors(num(b, "apiKey")),
};

/** Serves `POST /<operation>` with a JSON body for each cluster operation. */
export async function serveControl(cluster: LocalClusterControl, port = 0): Promise<ControlServer> {
  const server: Server = createServer((req, res) => {
    const op = OPERATIONS[(req.url ?? "/").slice(1)];
    if (!op || req.method !== "POST") {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ error: `no operation ${req.url}` }));
      return;
    }
    readJson(req)
      .then((body) => op(cluster, body))
      .then((result) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result ?? {})))
      .catch((err: unknown) => {
        const status = err instanceof LocalClusterError ? 409 : 400;
        res
          .writeHead(status, { "content-type": "application/json" })
          .end(JSON.stringify({ error: (err as Error).message }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  server.unref();
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A handle on a local cluster served by another process (see {@link serveControl}). */
export class LocalClusterClient implements LocalClusterControl {
  readonly bootstrapServers: string;
  readonly #url: string;

  private constructor(url: string, bootstrapServers: string) {
    this.#url = url;
    this.bootstrapServers = bootstrapServers;
  }

  /** Connects to a control endpoint. */
  static async connect(url: string): Promise<LocalClusterClient> {
    const info = (await call(url, "info", {})) as { bootstrapServers: string };
    return new LocalClusterClient(url, info.bootstrapServers);
  }

  createTopic(name: string, partitions: number): Promise<void> {
    return this.#do("createTopic", { name, partitions });
  }
  brokerDown(brokerId: number): Promise<void> {
    return this.#do("brokerDown", { brokerId });
  }
  brokerUp(brokerId: number): Promise<void> {
    return this.#do("brokerUp", { brokerId });
  }
  setBrokerRtt(brokerId: number, rttMs: number): Promise<void> {
    return this.#do("setBrokerRtt", { brokerId, rttMs });
  }
  setPartitionLeader(topic: string, partition: number, brokerId: number): Promise<void> {
    return this.#do("setPartitionLeader", { topic, partition, brokerId });
  }
  pushRequestErrors(apiKey: number, errorCodes: readonly number[]): Promise<void> {
    return this.#do("pushRequestErrors", { apiKey, errorCodes });
  }
  clearRequestErrors(apiKey: number): Promise<void> {
    return this.#do("clearRequestErrors", { apiKey });
  }
  /** Detaches; the cluster keeps running in its process. */
  async stop(): Promise<void> {}

  async #do(op: string, body: Body): Promise<void> {
    await call(this.#url, op, body);
  }
}

async function call(url: string, op: string, body: Body): Promise<unknown> {
  const res = await fetch(`${url}/${op}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const payload = (await res.json()) as { error?: string };
  if (!res.ok) throw new LocalClusterError(op, payload.error ?? `HTTP ${res.status}`);
  return payload;
}
