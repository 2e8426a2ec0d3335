/**
 * CPU time read from /proc (Linux), for benches that compare the CPU each
 * process spends per job: one process's or a few processes', and a whole
 * Postgres server's (its postmaster, its live children and those reaped).
 */
import { readFileSync, readdirSync } from "node:fs";

/** The fields of /proc/PID/stat after the command name (index 0 is the state; 1 ppid, 11 utime, 12 stime, 13 cutime, 14 cstime). */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

const ticksToMs = (ticks: number) => (ticks * 1000) / 100; // USER_HZ is 100 on Linux

/** CPU time (user + system, ms) of these processes so far; gone ones count 0. */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = statFields(pid);
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return ticksToMs(ticks);
}

/** The pid of a Postgres server's postmaster: the parent of this backend. */
export function parentPid(pid: number): number {
  return Number(statFields(pid)[1]);
}

/**
 * CPU time (ms) of the whole server so far: the postmaster, every process it
 * runs now, and (cutime, cstime) every one that has exited, so backends that
 * come and go during a measurement are all counted.
 */
export function serverCpuMs(postmaster: number): number {
  const reaped = () => {
    const own = statFields(postmaster);
    return Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  };
  // A child reaped between reading the postmaster and scanning /proc would be
  // in neither: read again until the postmaster's count did not move.
  for (;;) {
    const before = reaped();
    let ticks = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^[0-9]+$/.test(entry)) continue;
      try {
        const f = statFields(entry);
        if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // exited
      }
    }
    const after = reaped();
    if (after === before) return ticksToMs(after + ticks);
  }
}
