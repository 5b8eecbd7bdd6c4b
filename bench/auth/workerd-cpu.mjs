// CPU time of a local worker's workerd processes, read from /proc (Linux): what the auth
// benchmark divides by the requests it sent.
import { readdir, readFile } from "node:fs/promises";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU milliseconds so far of each workerd process under `rootPid`, by pid: a
 * difference is taken per pid (see {@link cpuMsBetween}), so a process that exits or starts in
 * between cannot make it negative.
 * @param {number} rootPid
 * @returns {Promise<Map<number, number>>}
 */
export async function workerdCpuMs(rootPid) {
  const processes = new Map();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => null);
    if (stat === null) continue;
    // The command name is in parentheses and may contain spaces; fields follow it (ppid is the
    // 2nd after it, utime and stime the 12th and 13th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    processes.set(Number(entry), {
      ppid: Number(fields[1]),
      name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  const descends = (pid) => {
    for (let p = pid; p > 1; p = processes.get(p)?.ppid ?? 0) if (p === rootPid) return true;
    return false;
  };
  const cpu = new Map();
  for (const [pid, { name, ticks }] of processes) {
    if (name === "workerd" && descends(pid)) cpu.set(pid, (ticks * 1000) / TICKS_PER_SECOND);
  }
  if (cpu.size === 0) throw new Error("no workerd process found under the bench server (Linux /proc needed)");
  return cpu;
}

/** CPU milliseconds spent between two {@link workerdCpuMs} readings by the processes in both. */
export function cpuMsBetween(before, after) {
  let total = 0;
  for (const [pid, ms] of after) if (before.has(pid)) total += Math.max(0, ms - before.get(pid));
  return total;
}
