/** Process identity from /proc: a pid plus its start time names one process even after pid reuse. */
import * as fs from "node:fs";

interface ProcStat {
  state: string;
  pgrp: number;
  startTime: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); field 5 is pgrp, field 22 is starttime.
  return { state: rest[0] ?? "", pgrp: Number(rest[2]), startTime: Number(rest[19]) };
}

export function procStartTime(pid: number): number | undefined {
  return readStat(pid)?.startTime;
}

/** True when `pid` is the very process that started at `startTime` and is not a zombie. */
export function isProcessAlive(pid: number, startTime: number): boolean {
  const st = readStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== "Z" && st.state !== "X";
}

/** Signals a process group, ignoring "no such process". */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}
