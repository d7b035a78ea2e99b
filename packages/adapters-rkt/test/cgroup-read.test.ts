import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  appCgroups,
  clearCgroupCache,
  parseMountinfo,
  parseNetDev,
  parseProcCgroup,
  podCgroups,
  readCgroupUsage,
  readNetDev,
  readV1,
  readV2,
} from "@rktlet/adapters-rkt";

/** Fake host trees (proc files, cgroup mounts, rkt's pod pid file) for the cgroup path logic and the readers. */
const UUID = "5f0a5c1e-1111-4222-8333-944445555666";
const SCOPE = "machine.slice/machine-rkt\\x2d5f0a5c1e\\x2d1111\\x2d4222\\x2d8333\\x2d944445555666.scope";
const PID = 4242;

let root: string;
const dataDir = () => join(root, "data");
function write(rel: string, text: string): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
function pidFile(pid: number): void {
  write(`data/pods/run/${UUID}/pid`, `${pid}\n`);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "rktlet-cg-"));
  clearCgroupCache();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const V1_MOUNTINFO = [
  "22 27 0:21 / /proc rw,relatime - proc proc rw",
  "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct",
  // memory mounted from a sub-tree of its hierarchy: paths are relative to /kube.
  "35 31 0:32 /kube /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "36 31 0:33 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
  "37 31 0:34 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset",
  "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio",
  "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
  "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
].join("\n");

const V1_PROC_CGROUP = [
  `9:name=systemd:/${SCOPE}/init.scope`,
  `8:pids:/${SCOPE}`,
  `7:blkio:/${SCOPE}`,
  "6:cpuset:/",
  `4:memory:/kube/${SCOPE}`,
  `2:cpu,cpuacct:/${SCOPE}`,
  `0::/${SCOPE}/init.scope`,
  "",
].join("\n");

function v1Tree(): void {
  write("proc/self/mountinfo", V1_MOUNTINFO);
  write(`proc/${PID}/cgroup`, V1_PROC_CGROUP);
  pidFile(PID);
  const app = `system.slice/0-web.service`;
  for (const h of ["cpu,cpuacct", "pids", "systemd", "unified", "blkio"])
    mkdirSync(join(root, "sys/fs/cgroup", h, SCOPE, app), { recursive: true });
  mkdirSync(join(root, "sys/fs/cgroup/memory", SCOPE, app), { recursive: true });
  const cpu = join("sys/fs/cgroup/cpu,cpuacct", SCOPE);
  const mem = join("sys/fs/cgroup/memory", SCOPE);
  write(join(cpu, app, "cpuacct.usage"), "123456789\n");
  write(join(cpu, "cpuacct.usage"), "987654321\n");
  write(join(mem, app, "memory.usage_in_bytes"), "10485760\n");
  write(join(mem, app, "memory.limit_in_bytes"), "67108864\n");
  write(
    join(mem, app, "memory.stat"),
    [
      "cache 4194304",
      "rss 5242880",
      "inactive_file 1048576",
      "pgfault 1000",
      "pgmajfault 3",
      "total_cache 4194304",
      "total_rss 6291456",
      "total_inactive_file 2097152",
      "total_pgfault 1500",
      "total_pgmajfault 4",
      "",
    ].join("\n"),
  );
  // The pod: no limit (v1's "unlimited"), and more inactive file pages than usage (working set floors at 0).
  write(join(mem, "memory.usage_in_bytes"), "4096\n");
  write(join(mem, "memory.limit_in_bytes"), "9223372036854771712\n");
  write(join(mem, "memory.stat"), "total_inactive_file 8192\ntotal_rss 0\n");
  write(join("sys/fs/cgroup/pids", SCOPE, app, "pids.current"), "3\n");
}

function v2Tree(mountPoint = "/sys/fs/cgroup"): void {
  write(
    "proc/self/mountinfo",
    `22 27 0:21 / /proc rw - proc proc rw\n30 23 0:26 / ${mountPoint} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n`,
  );
  write(`proc/${PID}/cgroup`, `0::/${SCOPE}/init.scope\n`);
  pidFile(PID);
  const app = join(mountPoint, SCOPE, "system.slice/0-web.service");
  write(join(app, "cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 0\n");
  write(join(app, "memory.current"), "8388608\n");
  write(join(app, "memory.max"), "max\n");
  write(join(app, "memory.stat"), "anon 3145728\nfile 4194304\ninactive_file 1048576\nactive_file 3145728\npgfault 777\npgmajfault 2\n");
  write(join(app, "pids.current"), "2\n");
  // The pod cgroup: a limit, no pids controller enabled.
  const pod = join(mountPoint, SCOPE);
  write(join(pod, "cpu.stat"), "usage_usec 10\n");
  write(join(pod, "memory.current"), "1000\n");
  write(join(pod, "memory.max"), "4000\n");
  write(join(pod, "memory.stat"), "anon 900\ninactive_file 200\n");
}

describe("parsers", () => {
  test("/proc/<pid>/cgroup lines", () => {
    expect(parseProcCgroup(V1_PROC_CGROUP)).toEqual([
      { controllers: ["name=systemd"], path: `/${SCOPE}/init.scope` },
      { controllers: ["pids"], path: `/${SCOPE}` },
      { controllers: ["blkio"], path: `/${SCOPE}` },
      { controllers: ["cpuset"], path: "/" },
      { controllers: ["memory"], path: `/kube/${SCOPE}` },
      { controllers: ["cpu", "cpuacct"], path: `/${SCOPE}` },
      { controllers: [], path: `/${SCOPE}/init.scope` },
    ]);
  });

  test("cgroup mounts from mountinfo, with their roots and escaped paths", () => {
    const mounts = parseMountinfo(`${V1_MOUNTINFO}\n50 31 0:40 / /mnt/cg\\040x rw - cgroup2 cgroup2 rw`);
    expect(mounts).toContainEqual({ version: 1, root: "/", mountPoint: "/sys/fs/cgroup/cpu,cpuacct", controllers: ["cpu", "cpuacct"] });
    expect(mounts).toContainEqual({ version: 1, root: "/kube", mountPoint: "/sys/fs/cgroup/memory", controllers: ["memory"] });
    expect(mounts).toContainEqual({ version: 1, root: "/", mountPoint: "/sys/fs/cgroup/systemd", controllers: ["name=systemd"] });
    expect(mounts).toContainEqual({ version: 2, root: "/", mountPoint: "/mnt/cg x", controllers: [] });
    expect(mounts.some((m) => m.mountPoint === "/sys/fs/cgroup")).toBe(false);
  });

  test("/proc/<pid>/net/dev without loopback", () => {
    const text = [
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0",
      "  eth0:1234567890   64095    7    0    0     0          0         0  8268498   48729    9    0    0     0       0          0",
      "",
    ].join("\n");
    expect(parseNetDev(text)).toEqual([{ name: "eth0", rxBytes: 1234567890n, rxErrors: 7n, txBytes: 8268498n, txErrors: 9n }]);
  });
});

describe("cgroup v1", () => {
  test("pod and app directories per controller; / hierarchies and init.scope left out", async () => {
    v1Tree();
    const base = (h: string) => join(root, "sys/fs/cgroup", h, SCOPE);
    const pod = await podCgroups(dataDir(), UUID, { root });
    expect(pod).toEqual({
      version: 1,
      pid: PID,
      dirs: {
        cpu: base("cpu,cpuacct"),
        cpuacct: base("cpu,cpuacct"),
        memory: base("memory"),
        pids: base("pids"),
        systemd: base("systemd"),
        unified: base("unified"),
      },
    });
    const app = await appCgroups(dataDir(), UUID, "0-web", { root });
    const unit = "system.slice/0-web.service";
    expect(app).toEqual({
      version: 1,
      pid: PID,
      dirs: {
        cpu: join(base("cpu,cpuacct"), unit),
        cpuacct: join(base("cpu,cpuacct"), unit),
        memory: join(base("memory"), unit),
        pids: join(base("pids"), unit),
        systemd: join(base("systemd"), unit),
        unified: join(base("unified"), unit),
      },
    });
  });

  test("exact numbers for an app; hierarchical (total_) memory.stat keys", async () => {
    v1Tree();
    const app = await appCgroups(dataDir(), UUID, "0-web", { root });
    expect(await readCgroupUsage(app!)).toEqual({
      cpuUsageNs: 123456789n,
      memoryUsageBytes: 10485760n,
      workingSetBytes: 10485760n - 2097152n,
      rssBytes: 6291456n,
      pageFaults: 1500n,
      majorPageFaults: 4n,
      memoryLimitBytes: 67108864n,
      availableBytes: 67108864n - (10485760n - 2097152n),
      pids: 3n,
    });
  });

  test("the pod: unlimited memory gives available 0, working set floors at 0, missing files are undefined", async () => {
    v1Tree();
    const pod = await podCgroups(dataDir(), UUID, { root });
    expect(await readCgroupUsage(pod!)).toEqual({
      cpuUsageNs: 987654321n,
      memoryUsageBytes: 4096n,
      workingSetBytes: 0n,
      rssBytes: 0n,
      pageFaults: undefined,
      majorPageFaults: undefined,
      memoryLimitBytes: undefined,
      availableBytes: 0n,
      pids: undefined,
    });
  });

  test("no files at all: every field undefined, nothing thrown", async () => {
    expect(await readV1({ cpuacct: join(root, "nope"), memory: join(root, "nope") })).toEqual({
      cpuUsageNs: undefined,
      memoryUsageBytes: undefined,
      workingSetBytes: undefined,
      rssBytes: undefined,
      pageFaults: undefined,
      majorPageFaults: undefined,
      memoryLimitBytes: undefined,
      availableBytes: undefined,
      pids: undefined,
    });
    expect(await readV1({})).toMatchObject({ cpuUsageNs: undefined, memoryUsageBytes: undefined });
  });

  test("an app without a cgroup, an unknown pod, bad names: undefined", async () => {
    v1Tree();
    expect(await appCgroups(dataDir(), UUID, "0-gone", { root })).toBeUndefined();
    expect(await appCgroups(dataDir(), UUID, "../../x", { root })).toBeUndefined();
    expect(await podCgroups(dataDir(), "../../etc", { root })).toBeUndefined();
    expect(await podCgroups(dataDir(), "00000000-1111-4222-8333-944445555666", { root })).toBeUndefined();
  });

  test("the cache follows the pod's pid", async () => {
    v1Tree();
    expect((await podCgroups(dataDir(), UUID, { root }))?.pid).toBe(PID);
    // A new pid with another cgroup: found again at once.
    write("proc/777/cgroup", "2:cpu,cpuacct:/other\n");
    mkdirSync(join(root, "sys/fs/cgroup/cpu,cpuacct/other"), { recursive: true });
    pidFile(777);
    expect(await podCgroups(dataDir(), UUID, { root })).toEqual({
      version: 1,
      pid: 777,
      dirs: { cpu: join(root, "sys/fs/cgroup/cpu,cpuacct/other"), cpuacct: join(root, "sys/fs/cgroup/cpu,cpuacct/other") },
    });
    rmSync(join(dataDir(), "pods"), { recursive: true });
    expect(await podCgroups(dataDir(), UUID, { root })).toBeUndefined();
  });
});

describe("cgroup v2", () => {
  test.each(["/sys/fs/cgroup", "/sys/fs/cgroup/unified"])("unified at %s: directories and exact numbers", async (mount) => {
    v2Tree(mount);
    const pod = await podCgroups(dataDir(), UUID, { root });
    expect(pod).toEqual({ version: 2, pid: PID, dirs: { unified: join(root, mount, SCOPE) } });
    const app = await appCgroups(dataDir(), UUID, "0-web", { root });
    expect(app).toEqual({ version: 2, pid: PID, dirs: { unified: join(root, mount, SCOPE, "system.slice/0-web.service") } });
    expect(await readCgroupUsage(app!)).toEqual({
      cpuUsageNs: 2_500_000n,
      memoryUsageBytes: 8388608n,
      workingSetBytes: 8388608n - 1048576n,
      rssBytes: 3145728n,
      pageFaults: 777n,
      majorPageFaults: 2n,
      memoryLimitBytes: undefined,
      availableBytes: 0n,
      pids: 2n,
    });
    expect(await readCgroupUsage(pod!)).toEqual({
      cpuUsageNs: 10_000n,
      memoryUsageBytes: 1000n,
      workingSetBytes: 800n,
      rssBytes: 900n,
      pageFaults: undefined,
      majorPageFaults: undefined,
      memoryLimitBytes: 4000n,
      availableBytes: 3200n,
      pids: undefined,
    });
  });

  test("missing files are undefined", async () => {
    expect(await readV2(join(root, "nope"))).toMatchObject({
      cpuUsageNs: undefined,
      memoryUsageBytes: undefined,
      workingSetBytes: undefined,
      pids: undefined,
    });
    expect(await readV2(undefined)).toMatchObject({ cpuUsageNs: undefined, availableBytes: undefined });
  });

  test("no mountinfo: the usual mount points are tried", async () => {
    v2Tree("/sys/fs/cgroup");
    rmSync(join(root, "proc/self"), { recursive: true });
    expect(await podCgroups(dataDir(), UUID, { root })).toEqual({
      version: 2,
      pid: PID,
      dirs: { unified: join(root, "sys/fs/cgroup", SCOPE) },
    });
  });

  test("network counters of the pod's namespace", async () => {
    write(`proc/${PID}/net/dev`, "h\nh\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n  eth0: 10 2 1 0 0 0 0 0 20 3 2 0 0 0 0 0\n");
    expect(await readNetDev(PID, root)).toEqual([{ name: "eth0", rxBytes: 10n, rxErrors: 1n, txBytes: 20n, txErrors: 2n }]);
    expect(await readNetDev(PID + 1, root)).toBeUndefined();
  });
});
