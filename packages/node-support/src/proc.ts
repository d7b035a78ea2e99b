import { readFile } from "node:fs/promises";

/**
 * The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat). Together with the
 * pid it names one process for good: a recycled pid has a different start time.
 */
export async function processStartTime(pid: number): Promise<bigint | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = rest[19];
    return start === undefined ? undefined : BigInt(start);
  } catch {
    return undefined;
  }
}

/** Is the process that had this pid and start time still there (and not a zombie)? */
export async function isSameProcessAlive(pid: number, startTime: bigint): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[0] !== "Z" && rest[0] !== "X" && rest[19] !== undefined && BigInt(rest[19]) === startTime;
  } catch {
    return false;
  }
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
