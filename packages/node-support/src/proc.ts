import { readFile } from "node:fs/promises";

/** Fields 3 onwards of /proc/PID/stat (state, ppid, …); the command name may hold spaces, so split after the last ')'. */
async function statFields(pid: number): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat). Together with the
 * pid it names one process for good: a recycled pid has a different start time.
 */
export async function processStartTime(pid: number): Promise<bigint | undefined> {
  const start = (await statFields(pid))?.[19];
  return start === undefined ? undefined : BigInt(start);
}

/** Is the process that had this pid and start time still there (and not a zombie)? */
export async function isSameProcessAlive(pid: number, startTime: bigint): Promise<boolean> {
  const f = await statFields(pid);
  return f !== undefined && f[0] !== "Z" && f[0] !== "X" && f[19] !== undefined && BigInt(f[19]) === startTime;
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}
