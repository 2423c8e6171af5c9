/**
 * Fault cases on the consumer group: a consumer process killed with SIGKILL and replaced; a
 * second app instance joining mid-stream and leaving later.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { fastConsumer } from "./context.js";
import { withTimeout } from "./timeout.js";
import type { Handled } from "./fault-harness.js";
import { type FaultContext, type FaultEnv, oneConsumer } from "./faults-context.js";

const WORKER = fileURLToPath(new URL("./fault-worker.ts", import.meta.url));
/** The worker runs from this package, where `tsx` resolves. */
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

/** A consumer app in a child process (see fault-worker.ts). */
class WorkerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #stderr: string[] = [];

  private constructor(
    env: FaultEnv,
    readonly member: string,
  ) {
    const options = JSON.stringify(fastConsumer);
    const args = [env.adapter, env.bootstrapServers, env.topic, env.group, member, options, String(env.workMs)];
    this.#child = spawn(process.execPath, ["--conditions=@faststream/source", "--import", "tsx", WORKER, ...args], {
      cwd: PACKAGE_DIR,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.#exited = new Promise((resolve) => this.#child.once("exit", (code) => resolve(code)));
    createInterface({ input: this.#child.stderr! }).on("line", (l) => {
      this.#stderr.push(l);
      if (this.#stderr.length > 20) this.#stderr.shift();
    });
  }

  /** Starts a worker; resolves once it joined the group. */
  static async start(env: FaultEnv, member: string): Promise<WorkerProcess> {
    const worker = new WorkerProcess(env, member);
    live.add(worker);
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: worker.#child.stdout! }).on("line", (text) => {
        const event = JSON.parse(text) as Partial<Handled> & { ready?: boolean };
        if (event.ready) resolve();
        else if (event.key !== undefined) env.tracker.push({ ...(event as Handled), member });
      });
      void worker.#exited.then((code) =>
        reject(new Error(`worker ${member} exited (${code}) before joining: ${worker.#stderr.join("\n")}`)),
      );
    });
    await withTimeout(ready, 30_000, `worker ${member} to join the group`);
    return worker;
  }

  /** SIGKILL: no shutdown, no commit, no leaving the group. */
  async kill(): Promise<void> {
    this.#child.kill("SIGKILL");
    await this.#exited;
    live.delete(this);
  }

  /** SIGTERM: graceful stop (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    this.#child.kill("SIGTERM");
    await withTimeout(this.#exited, 15_000, `worker ${this.member} to stop`).catch(() => this.kill());
    live.delete(this);
  }
}

/** Workers still running (killed after each case, whatever happened). */
const live = new Set<WorkerProcess>();

export function groupFaultCases(ctx: FaultContext): void {
  afterEach(async () => {
    await Promise.all([...live].map((w) => w.kill()));
  });

  ctx.test("a consumer process is killed with SIGKILL mid-stream and a new one takes over", () => {
    const at = 400;
    let first: WorkerProcess | undefined;
    let second: WorkerProcess | undefined;
    return {
      name: "sigkill-consumer",
      total: 1200,
      workMs: 2,
      redelivery: "allowed",
      async consumers(env) {
        first = await WorkerProcess.start(env, "worker-1");
      },
      async fault(env) {
        await env.tracker.waitDistinct(at, 30_000, `${at} messages handled before the kill`);
        await first?.kill();
        second = await WorkerProcess.start(env, "worker-2");
      },
      async drain() {
        await second?.stop();
      },
      extra: (env) => ({
        killedAfter: at,
        byKilled: env.tracker.handledBy("worker-1"),
        byReplacement: env.tracker.handledBy("worker-2"),
      }),
      verify(env) {
        expect(env.tracker.handledBy("worker-2"), "the replacement handled messages").toBeGreaterThan(0);
      },
    };
  });

  ctx.test("a second app instance joins the group mid-stream and later leaves with stop()", () => {
    // It leaves once it handled `leave` messages itself (so it really took part).
    const [join, leave] = [300, 300];
    return {
      name: "member-join-leave",
      total: 1200,
      // Handlers take a while, so the stream outlasts the rebalances (about 2 s each here).
      workMs: 5,
      redelivery: "allowed",
      consumers: oneConsumer,
      async fault(env) {
        await env.tracker.waitDistinct(join, 30_000, `${join} messages handled before the second instance joins`);
        const second = env.broker();
        env.subscribe(second, "second");
        await second.start();
        await env.unlessCrashed(env.tracker.waitMember("second", leave, 30_000), 30_000);
        await second.stop();
      },
      extra: (env) => ({
        joinedAfter: join,
        leftAfterOwn: leave,
        byFirst: env.tracker.handledBy("app"),
        bySecond: env.tracker.handledBy("second"),
      }),
      verify(env) {
        expect(env.tracker.handledBy("second"), "the second instance handled messages").toBeGreaterThan(0);
      },
    };
  });
}
