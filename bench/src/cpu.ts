/**
 * CPU time of a contender process, read by the runner from outside (Linux `/proc`), so every
 * contender is measured the same way without code of its own.
 *
 * The figure is the sum over the process's threads of the time each spent on a CPU
 * (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds): the JavaScript thread, the client's own
 * threads (librdkafka's) and Node's. Threads that end between two readings lose their share,
 * which is why the runner takes readings only while a contender runs its scenario (the clients'
 * threads live as long as their connections). Without per-thread figures, the process's
 * `utime + stime` (`/proc/<pid>/stat`, 10 ms ticks) stands in.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Milliseconds of CPU the process `pid` has used so far, or `undefined` where `/proc` is missing. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // The thread ended while being read: its share is gone either way.
      }
    }
    if (ns > 0) return ns / 1e6;
  } catch {
    // No per-thread figures: fall back to the process's own.
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Linux reports these in USER_HZ, 100 per second on every architecture Node runs on.
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
  } catch {
    return undefined;
  }
}
