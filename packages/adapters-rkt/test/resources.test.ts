import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linuxResources } from "@rktlet/testkit";
import {
  applyResources,
  loadResources,
  orderedForV1Memory,
  resourceWrites,
  sharesToWeight,
  storeResources,
  unitResources,
} from "../src/resources";

const none = linuxResources();
const v1 = { version: 1 as const, pid: 1, dirs: { cpu: "/cg/cpu", memory: "/cg/mem", cpuset: "/cg/cpuset" } };
const v2 = { version: 2 as const, pid: 1, dirs: { unified: "/cg/u" } };

describe("resource updates as cgroup writes", () => {
  test("cgroup v1: each CRI field to its file, period before quota, zero fields left alone", () => {
    const r = { ...none, cpuShares: 512n, cpuPeriod: 100000n, cpuQuota: 50000n, memoryLimitInBytes: 64n << 20n, cpusetCpus: "0-1" };
    expect(resourceWrites(r, v1).map((w) => [w.file, w.value])).toEqual([
      ["/cg/cpu/cpu.shares", "512"],
      ["/cg/cpu/cpu.cfs_period_us", "100000"],
      ["/cg/cpu/cpu.cfs_quota_us", "50000"],
      ["/cg/mem/memory.limit_in_bytes", "67108864"],
      ["/cg/cpuset/cpuset.cpus", "0-1"],
    ]);
    expect(resourceWrites(none, v1)).toEqual([]);
  });

  test("cgroup v2: weight from shares, cpu.max, memory.max, swap as swap alone, unified keys", () => {
    const r = {
      ...none,
      cpuShares: 1024n,
      cpuQuota: 20000n,
      cpuPeriod: 100000n,
      memoryLimitInBytes: 100n,
      memorySwapLimitInBytes: 150n,
      unified: { "memory.high": "90" },
    };
    expect(resourceWrites(r, v2).map((w) => [w.file, w.value])).toEqual([
      ["/cg/u/cpu.weight", "39"],
      ["/cg/u/cpu.max", "20000 100000"],
      ["/cg/u/memory.max", "100"],
      ["/cg/u/memory.swap.max", "50"],
      ["/cg/u/memory.high", "90"],
    ]);
    expect([sharesToWeight(2n), sharesToWeight(262144n), sharesToWeight(1024n)]).toEqual([1n, 10000n, 39n]);
  });

  test.each([
    [{ ...none, cpusetCpus: "0;rm -rf" }, v1, /linux.cpuset_cpus/],
    [{ ...none, oomScoreAdj: 5000n }, v1, /linux.oom_score_adj/],
    [{ ...none, memoryLimitInBytes: -1n }, v1, /must not be negative/],
    [{ ...none, unified: { "memory.max": "1" } }, v1, /cgroup v2 only/],
    [{ ...none, unified: { "../../etc/passwd": "x" } }, v2, /not a cgroup v2 interface file/],
    [{ ...none, cpusetCpus: "1" }, { version: 1 as const, pid: 1, dirs: { cpu: "/c" } }, /cpuset controller is not available/],
  ])("what cannot be applied is refused with the field: %#", (r, cg, message) => {
    expect(() => resourceWrites(r, cg)).toThrow(message);
  });

  test("writes land in the files; a refused write names the field and the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "res-"));
    try {
      writeFileSync(join(dir, "memory.limit_in_bytes"), "max");
      await applyResources(resourceWrites({ ...none, memoryLimitInBytes: 1234n }, { version: 1, pid: 1, dirs: { memory: dir } }));
      expect(readFileSync(join(dir, "memory.limit_in_bytes"), "utf8")).toBe("1234");
      await expect(applyResources([{ field: "linux.cpu_shares", file: join(dir, "missing", "cpu.shares"), value: "2" }])).rejects.toThrow(
        /linux.cpu_shares: cannot set 2 \(this kernel does not offer it\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("records keep resources exactly (bigint through JSON)", () => {
    const r = { ...none, memoryLimitInBytes: 9007199254740993n, unified: { "cpu.idle": "1" } };
    expect(loadResources(JSON.parse(JSON.stringify(storeResources(r))))).toEqual(r);
    expect(loadResources(undefined)).toBeUndefined();
  });
});

describe("cgroup v1 memory and memory+swap limits", () => {
  const writesFor = (dir: string, memory: bigint, swap: bigint) =>
    resourceWrites({ ...none, memoryLimitInBytes: memory, memorySwapLimitInBytes: swap }, { version: 1, pid: 1, dirs: { memory: dir } });
  const setup = (limit: string, memsw: string | undefined) => {
    const dir = mkdtempSync(join(tmpdir(), "memsw-"));
    writeFileSync(join(dir, "memory.limit_in_bytes"), limit);
    if (memsw !== undefined) writeFileSync(join(dir, "memory.memsw.limit_in_bytes"), memsw);
    return dir;
  };

  test("growing: memory+swap first; shrinking: memory first (the kernel keeps memory <= memory+swap)", async () => {
    const dir = setup("100", "100");
    try {
      const fields = async (m: bigint, s: bigint) =>
        (await orderedForV1Memory(writesFor(dir, m, s), { version: 1, pid: 1, dirs: { memory: dir } })).map((w) => w.field);
      expect(await fields(200n, 200n)).toEqual(["linux.memory_swap_limit_in_bytes", "linux.memory_limit_in_bytes"]);
      expect(await fields(50n, 50n)).toEqual(["linux.memory_limit_in_bytes", "linux.memory_swap_limit_in_bytes"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without swap accounting (no memsw file) the swap limit is left out, not an error", async () => {
    const dir = setup("100", undefined);
    try {
      const writes = await orderedForV1Memory(writesFor(dir, 200n, 200n), { version: 1, pid: 1, dirs: { memory: dir } });
      expect(writes.map((w) => w.field)).toEqual(["linux.memory_limit_in_bytes"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("memory and CPU as systemd unit properties: MemoryMax, CPUWeight from shares, CPUQuotaPerSecUSec from quota/period", () => {
  expect(unitResources({ ...none, memoryLimitInBytes: 256n << 20n, cpuShares: 512n, cpuQuota: 50000n, cpuPeriod: 100000n })).toEqual({
    memoryMaxBytes: 268435456n,
    cpuWeight: 20n,
    cpuQuotaPerSecUsec: 500000n,
  });
  expect(unitResources(none)).toEqual({});
});
