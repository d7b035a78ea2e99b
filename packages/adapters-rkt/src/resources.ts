import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorKind, invalidArgument, type LinuxResources, RktletError, type UnitResources } from "@rktlet/core";
import type { CgroupDirs } from "./cgroups/paths";

/** One file write, and the CRI field it comes from (named in errors). */
export interface CgroupWrite {
  readonly field: string;
  readonly file: string;
  readonly value: string;
}

/** LinuxResources as kept in a container record (JSON has no bigint). */
export type StoredResources = { readonly [K in keyof LinuxResources]: LinuxResources[K] extends bigint ? string : LinuxResources[K] };

export function storeResources(r: LinuxResources): StoredResources {
  return {
    cpuPeriod: String(r.cpuPeriod),
    cpuQuota: String(r.cpuQuota),
    cpuShares: String(r.cpuShares),
    memoryLimitInBytes: String(r.memoryLimitInBytes),
    oomScoreAdj: String(r.oomScoreAdj),
    cpusetCpus: r.cpusetCpus,
    cpusetMems: r.cpusetMems,
    memorySwapLimitInBytes: String(r.memorySwapLimitInBytes),
    unified: { ...r.unified },
  };
}

export function loadResources(s: StoredResources | undefined): LinuxResources | undefined {
  if (!s) return undefined;
  const big = (v: string | undefined) => {
    try {
      return BigInt(v ?? "0");
    } catch {
      return 0n;
    }
  };
  return {
    cpuPeriod: big(s.cpuPeriod),
    cpuQuota: big(s.cpuQuota),
    cpuShares: big(s.cpuShares),
    memoryLimitInBytes: big(s.memoryLimitInBytes),
    oomScoreAdj: big(s.oomScoreAdj),
    cpusetCpus: s.cpusetCpus ?? "",
    cpusetMems: s.cpusetMems ?? "",
    memorySwapLimitInBytes: big(s.memorySwapLimitInBytes),
    unified: { ...(s.unified ?? {}) },
  };
}

const CPUSET = /^[0-9,-]*$/;
/** cgroup v2 interface files kubelet may set through `unified`: controller-prefixed names only. */
const UNIFIED_KEY = /^(cpu|cpuset|memory|pids|io|hugetlb)\.[a-z0-9_.]+$/;

/**
 * The cgroup file writes that apply `r` (zero and empty mean "leave as is", as in the CRI), in the order
 * the kernel accepts them. Throws InvalidArgument, naming the field, for what cannot be applied here.
 */
export function resourceWrites(r: LinuxResources, cg: CgroupDirs): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  const need = (dir: string | undefined, field: string, what: string): string => {
    if (!dir) throw invalidArgument(field, `cannot be applied: the ${what} controller is not available for this container`);
    return dir;
  };
  if (r.cpuPeriod < 0n || r.cpuQuota < -1n || r.cpuShares < 0n || r.memoryLimitInBytes < 0n || r.memorySwapLimitInBytes < -1n) {
    throw invalidArgument("linux", "resource values must not be negative");
  }
  if (r.oomScoreAdj < -1000n || r.oomScoreAdj > 1000n) throw invalidArgument("linux.oom_score_adj", "must be between -1000 and 1000");
  if (!CPUSET.test(r.cpusetCpus)) throw invalidArgument("linux.cpuset_cpus", "must be a CPU list such as 0-2,4");
  if (!CPUSET.test(r.cpusetMems)) throw invalidArgument("linux.cpuset_mems", "must be a memory node list such as 0-1");
  if (cg.version === 1) {
    const { cpu, memory, cpuset } = cg.dirs;
    if (r.cpuShares > 0n)
      out.push({ field: "linux.cpu_shares", file: join(need(cpu, "linux.cpu_shares", "cpu"), "cpu.shares"), value: String(r.cpuShares) });
    if (r.cpuPeriod > 0n)
      out.push({
        field: "linux.cpu_period",
        file: join(need(cpu, "linux.cpu_period", "cpu"), "cpu.cfs_period_us"),
        value: String(r.cpuPeriod),
      });
    if (r.cpuQuota !== 0n)
      out.push({
        field: "linux.cpu_quota",
        file: join(need(cpu, "linux.cpu_quota", "cpu"), "cpu.cfs_quota_us"),
        value: String(r.cpuQuota),
      });
    if (r.memoryLimitInBytes > 0n) {
      const dir = need(memory, "linux.memory_limit_in_bytes", "memory");
      out.push({ field: "linux.memory_limit_in_bytes", file: join(dir, "memory.limit_in_bytes"), value: String(r.memoryLimitInBytes) });
    }
    if (r.memorySwapLimitInBytes !== 0n) {
      const dir = need(memory, "linux.memory_swap_limit_in_bytes", "memory");
      out.push({
        field: "linux.memory_swap_limit_in_bytes",
        file: join(dir, "memory.memsw.limit_in_bytes"),
        value: String(r.memorySwapLimitInBytes),
      });
    }
    if (r.cpusetCpus)
      out.push({ field: "linux.cpuset_cpus", file: join(need(cpuset, "linux.cpuset_cpus", "cpuset"), "cpuset.cpus"), value: r.cpusetCpus });
    if (r.cpusetMems)
      out.push({ field: "linux.cpuset_mems", file: join(need(cpuset, "linux.cpuset_mems", "cpuset"), "cpuset.mems"), value: r.cpusetMems });
    if (Object.keys(r.unified).length > 0) throw invalidArgument("linux.unified", "applies to cgroup v2 only; this host uses cgroup v1");
    return out;
  }
  const dir = need(cg.dirs.unified, "linux", "unified (cgroup v2)");
  if (r.cpuShares > 0n) out.push({ field: "linux.cpu_shares", file: join(dir, "cpu.weight"), value: String(sharesToWeight(r.cpuShares)) });
  if (r.cpuQuota !== 0n || r.cpuPeriod > 0n) {
    const quota = r.cpuQuota > 0n ? String(r.cpuQuota) : "max";
    out.push({ field: "linux.cpu_quota", file: join(dir, "cpu.max"), value: r.cpuPeriod > 0n ? `${quota} ${r.cpuPeriod}` : quota });
  }
  if (r.memoryLimitInBytes > 0n)
    out.push({ field: "linux.memory_limit_in_bytes", file: join(dir, "memory.max"), value: String(r.memoryLimitInBytes) });
  if (r.memorySwapLimitInBytes > 0n && r.memoryLimitInBytes > 0n) {
    // the CRI's swap limit is memory+swap (v1 semantics); v2 limits swap alone
    const swap = r.memorySwapLimitInBytes - r.memoryLimitInBytes;
    out.push({ field: "linux.memory_swap_limit_in_bytes", file: join(dir, "memory.swap.max"), value: String(swap > 0n ? swap : 0n) });
  }
  if (r.cpusetCpus) out.push({ field: "linux.cpuset_cpus", file: join(dir, "cpuset.cpus"), value: r.cpusetCpus });
  if (r.cpusetMems) out.push({ field: "linux.cpuset_mems", file: join(dir, "cpuset.mems"), value: r.cpusetMems });
  for (const [key, value] of Object.entries(r.unified)) {
    if (!UNIFIED_KEY.test(key)) throw invalidArgument(`linux.unified[${key}]`, "is not a cgroup v2 interface file rktlet may set");
    if (/[\n\0]/.test(value)) throw invalidArgument(`linux.unified[${key}]`, "must be one line");
    out.push({ field: `linux.unified[${key}]`, file: join(dir, key), value });
  }
  return out;
}

/** cgroup v1 shares (2–262144) to v2 weight (1–10000), the conversion runc and kubelet use. */
export function sharesToWeight(shares: bigint): bigint {
  if (shares <= 2n) return 1n;
  if (shares >= 262144n) return 10000n;
  return 1n + ((shares - 2n) * 9999n) / 262142n;
}

/**
 * Applies the writes; a value the kernel refuses (e.g. a memory limit below current usage, EBUSY) fails
 * with the field and the kernel's reason. Writes already made stay (as with runc's update).
 */
export async function applyResources(writes: readonly CgroupWrite[]): Promise<void> {
  for (const w of writes) {
    try {
      await writeFile(w.file, w.value);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      const why =
        code === "EBUSY"
          ? "the kernel refused it as in use (a memory limit below the current usage?)"
          : code === "EINVAL"
            ? "the kernel refused the value"
            : code === "ENOENT"
              ? "this kernel does not offer it"
              : code;
      throw new RktletError(ErrorKind.FailedPrecondition, `${w.field}: cannot set ${w.value} (${why})`);
    }
  }
}

/** Sets oom_score_adj of every process of a cgroup (it is per process, not a cgroup file). */
export async function applyOomScoreAdj(procsFile: string, value: bigint): Promise<void> {
  const pids = (await readFile(procsFile, "utf8").catch(() => ""))
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^\d+$/.test(l));
  for (const pid of pids) await writeFile(`/proc/${pid}/oom_score_adj`, String(value)).catch(() => undefined);
}

/** Applies resources to a cgroup (a container's or a pod's), oom_score_adj included. */
export async function updateCgroupResources(cg: CgroupDirs, r: LinuxResources): Promise<void> {
  await applyResources(await orderedForV1Memory(resourceWrites(r, cg), cg));
  if (r.oomScoreAdj !== 0n) {
    const dir = cg.dirs.memory ?? cg.dirs.unified ?? cg.dirs.systemd;
    if (dir) await applyOomScoreAdj(join(dir, "cgroup.procs"), r.oomScoreAdj);
  }
}

/**
 * cgroup v1 refuses a memory limit above the memory+swap limit, and a memory+swap limit below the memory
 * limit: raise memsw first when it grows past the current memory limit, else lower memory first. Hosts
 * without swap accounting have no memsw file; the swap limit is then left out (there is no swap to limit).
 */
export async function orderedForV1Memory(writes: CgroupWrite[], cg: CgroupDirs): Promise<CgroupWrite[]> {
  const memsw = writes.find((w) => w.field === "linux.memory_swap_limit_in_bytes");
  if (cg.version !== 1 || !memsw) return writes;
  const current = await readFile(memsw.file, "utf8").catch(() => undefined);
  if (current === undefined) return writes.filter((w) => w !== memsw);
  const memory = writes.find((w) => w.field === "linux.memory_limit_in_bytes");
  if (!memory) return writes;
  const currentLimit = await readFile(memory.file, "utf8").then(
    (t) => BigInt(t.trim()),
    () => undefined,
  );
  const swapFirst = memsw.value === "-1" || (currentLimit !== undefined && BigInt(memsw.value) > currentLimit);
  const rest = writes.filter((w) => w !== memsw && w !== memory);
  const i = writes.indexOf(memory);
  return [...rest.slice(0, i), ...(swapFirst ? [memsw, memory] : [memory, memsw]), ...rest.slice(i)];
}

/** The memory and CPU limits as systemd unit properties (what a unit manager that owns the cgroup sets). */
export function unitResources(r: LinuxResources): UnitResources {
  return {
    ...(r.memoryLimitInBytes > 0n ? { memoryMaxBytes: r.memoryLimitInBytes } : {}),
    ...(r.cpuShares > 0n ? { cpuWeight: sharesToWeight(r.cpuShares) } : {}),
    ...(r.cpuQuota > 0n && r.cpuPeriod > 0n ? { cpuQuotaPerSecUsec: (r.cpuQuota * 1_000_000n) / r.cpuPeriod } : {}),
  };
}

/** Whether anything is left for the cgroup files once memory and CPU went to the unit. */
export function hasCgroupFields(r: LinuxResources): boolean {
  return (
    r.cpusetCpus !== "" ||
    r.cpusetMems !== "" ||
    r.memorySwapLimitInBytes !== 0n ||
    r.oomScoreAdj !== 0n ||
    Object.keys(r.unified).length > 0
  );
}
