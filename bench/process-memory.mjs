// Memory of a local worker, read from /proc (Linux): what the memory benchmarks sample.
import { readdir, readFile } from "node:fs/promises";

/**
 * Sum of the resident set sizes (bytes) of the workerd processes under `rootPid`.
 * @param {number} rootPid
 * @returns {Promise<number>}
 */
export async function workerdRss(rootPid) {
  const parents = new Map();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => null);
    if (stat === null) continue;
    // The command name is in parentheses and may contain spaces; the parent pid follows it.
    const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    parents.set(Number(entry), {
      ppid: Number(afterName[1]),
      name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    });
  }
  const descends = (pid) => {
    for (let p = pid; p > 1; p = parents.get(p)?.ppid ?? 0) if (p === rootPid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { name }] of parents) {
    if (name !== "workerd" || !descends(pid)) continue;
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    if (kb) total += Number(kb[1]) * 1024;
  }
  if (total === 0) throw new Error("no workerd process found under the bench server (Linux /proc needed)");
  return total;
}
