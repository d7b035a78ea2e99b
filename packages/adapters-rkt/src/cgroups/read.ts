import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { CgroupDirs } from "./paths";

/**
 * Usage of one cgroup, read from its files (cgroup v1 or v2), the way cAdvisor reads them. Every number is a
 * bigint; a field is undefined when its file is missing or unreadable (the controller is not enabled there,
 * the cgroup went away). Nothing here throws.
 */
export interface CgroupUsage {
  /** Cumulative CPU time, ns: v1 cpuacct.usage; v2 cpu.stat usage_usec × 1000. */
  readonly cpuUsageNs: bigint | undefined;
  /** v1 memory.usage_in_bytes; v2 memory.current. */
  readonly memoryUsageBytes: bigint | undefined;
  /** Usage minus inactive file pages (v1 total_inactive_file, v2 inactive_file), at least 0. */
  readonly workingSetBytes: bigint | undefined;
  /** v1 total_rss; v2 anon. */
  readonly rssBytes: bigint | undefined;
  /** Minor + major page faults (v1 total_pgfault, v2 pgfault). */
  readonly pageFaults: bigint | undefined;
  /** v1 total_pgmajfault; v2 pgmajfault. */
  readonly majorPageFaults: bigint | undefined;
  /** The memory limit (v1 memory.limit_in_bytes, v2 memory.max); undefined when unlimited or unknown. */
  readonly memoryLimitBytes: bigint | undefined;
  /** Limit minus working set (at least 0) when a limit is set, 0 when none is; undefined without memory data. */
  readonly availableBytes: bigint | undefined;
  /** pids.current (tasks, as containerd reports it). */
  readonly pids: bigint | undefined;
}

/** v1 reports "no limit" as the largest page-aligned counter (0x7FFFFFFFFFFFF000 on 4 KiB pages); anything this big is none. */
const V1_UNLIMITED = 1n << 62n;

export async function readCgroupUsage(cg: CgroupDirs): Promise<CgroupUsage> {
  return cg.version === 2 ? readV2(cg.dirs.unified) : readV1(cg.dirs);
}

/** cgroup v1: one directory per controller. */
export async function readV1(dirs: { readonly cpuacct?: string; readonly memory?: string; readonly pids?: string }): Promise<CgroupUsage> {
  const file = (dir: string | undefined, name: string) => (dir === undefined ? Promise.resolve(undefined) : readText(join(dir, name)));
  const [cpu, usage, stat, limit, pids] = await Promise.all([
    file(dirs.cpuacct, "cpuacct.usage"),
    file(dirs.memory, "memory.usage_in_bytes"),
    file(dirs.memory, "memory.stat"),
    file(dirs.memory, "memory.limit_in_bytes"),
    file(dirs.pids, "pids.current"),
  ]);
  const s = parseFlatKeyed(stat);
  // total_* are hierarchical (a pod's cgroup includes its apps'); the plain keys are this cgroup's own.
  const pick = (k: string) => s.get(`total_${k}`) ?? s.get(k);
  const limitBytes = parseNumber(limit);
  return memoryUsage({
    cpuUsageNs: parseNumber(cpu),
    memoryUsageBytes: parseNumber(usage),
    inactiveFile: pick("inactive_file"),
    rssBytes: pick("rss"),
    pageFaults: pick("pgfault"),
    majorPageFaults: pick("pgmajfault"),
    memoryLimitBytes: limitBytes !== undefined && limitBytes < V1_UNLIMITED ? limitBytes : undefined,
    pids: parseNumber(pids),
  });
}

/** cgroup v2: everything in one directory. */
export async function readV2(dir: string | undefined): Promise<CgroupUsage> {
  const file = (name: string) => (dir === undefined ? Promise.resolve(undefined) : readText(join(dir, name)));
  const [cpuStat, current, stat, max, pids] = await Promise.all([
    file("cpu.stat"),
    file("memory.current"),
    file("memory.stat"),
    file("memory.max"),
    file("pids.current"),
  ]);
  const usec = parseFlatKeyed(cpuStat).get("usage_usec");
  const s = parseFlatKeyed(stat);
  return memoryUsage({
    cpuUsageNs: usec === undefined ? undefined : usec * 1000n,
    memoryUsageBytes: parseNumber(current),
    inactiveFile: s.get("inactive_file"),
    rssBytes: s.get("anon"),
    pageFaults: s.get("pgfault"),
    majorPageFaults: s.get("pgmajfault"),
    // "max" (no limit) does not parse as a number.
    memoryLimitBytes: parseNumber(max),
    pids: parseNumber(pids),
  });
}

function memoryUsage(
  raw: Omit<CgroupUsage, "workingSetBytes" | "availableBytes"> & { readonly inactiveFile: bigint | undefined },
): CgroupUsage {
  const { inactiveFile, ...rest } = raw;
  const usage = raw.memoryUsageBytes;
  let workingSetBytes: bigint | undefined;
  if (usage !== undefined) {
    workingSetBytes = usage - (inactiveFile ?? 0n);
    if (workingSetBytes < 0n) workingSetBytes = 0n;
  }
  let availableBytes: bigint | undefined;
  if (workingSetBytes !== undefined) {
    const limit = raw.memoryLimitBytes;
    availableBytes = limit === undefined ? 0n : limit > workingSetBytes ? limit - workingSetBytes : 0n;
  }
  return { ...rest, workingSetBytes, availableBytes };
}

/**
 * Processes in a cgroup and its descendants, from their cgroup.procs: for a hierarchy without the pids
 * controller (`name=systemd`, or v2 without it enabled). Bounded depth; undefined if the directory is gone.
 */
export async function countProcesses(dir: string, depth = 4): Promise<bigint | undefined> {
  const procs = await readText(join(dir, "cgroup.procs"));
  if (procs === undefined) return undefined;
  let n = BigInt(procs.split("\n").filter((l) => /^\d+$/.test(l.trim())).length);
  if (depth > 0) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) n += (await countProcesses(join(dir, e.name), depth - 1)) ?? 0n;
  }
  return n;
}

/**
 * cgroup files are generated by the kernel on read and never block on a disk, so they are read
 * synchronously: a thread-pool round trip per file cost several times more than the read itself
 * (ListContainerStats reads five per container).
 */
async function readText(file: string): Promise<string | undefined> {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** A single non-negative integer (the whole file); undefined for "max", empty or garbage. */
export function parseNumber(text: string | undefined): bigint | undefined {
  const t = text?.trim();
  return t !== undefined && /^\d+$/.test(t) ? BigInt(t) : undefined;
}

/** `key value` lines (memory.stat, cpu.stat). */
export function parseFlatKeyed(text: string | undefined): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text?.split("\n") ?? []) {
    const m = /^(\S+)\s+(\d+)\s*$/.exec(line);
    if (m) out.set(m[1]!, BigInt(m[2]!));
  }
  return out;
}
