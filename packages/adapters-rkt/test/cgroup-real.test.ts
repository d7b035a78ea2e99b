import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appCgroups, clearCgroupCache, parseMountinfo, parseProcCgroup, podCgroups, readCgroupUsage } from "@rktlet/adapters-rkt";

/**
 * Real cgroup v1 hierarchies: a pod cgroup made by the test under this process's own cgroup in each of
 * cpuacct, memory, pids and name=systemd (`<own>/rktlet-test-<pid>`, never elsewhere: a test runner may
 * track its jobs by their memory cgroup), with `system.slice/0-busy.service` in it, a "pod" process and a
 * busy "app" process moved in. Then the path logic must find them from the pod pid file, and the readers
 * must see usage. Skipped, with a warning, where cgroup v1 is not there or not writable.
 */
const UUID = "0b1c2d3e-4f50-4612-8734-9a8b7c6d5e4f";
const APP = "0-busy";
const WANTED = ["cpuacct", "memory", "pids", "name=systemd"];

interface Made {
  readonly key: string;
  readonly pod: string;
  readonly app: string;
}
let made: Made[] = [];
let dataDir: string;
const children: ChildProcess[] = [];
let skip: string | undefined;

/** This process's own cgroup directory in each wanted v1 hierarchy. */
function ownDirs(): Map<string, string> {
  const mounts = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"));
  const out = new Map<string, string>();
  for (const line of parseProcCgroup(readFileSync("/proc/self/cgroup", "utf8"))) {
    const key = WANTED.find((w) => line.controllers.includes(w));
    if (!key) continue;
    const m = mounts.find((mt) => mt.version === 1 && line.controllers.every((c) => mt.controllers.includes(c)));
    if (!m || !(m.root === "/" || line.path === m.root || line.path.startsWith(`${m.root}/`))) continue;
    out.set(key, join(m.mountPoint, m.root === "/" ? line.path : line.path.slice(m.root.length)));
  }
  return out;
}

function moveTo(dir: string, pid: number): void {
  writeFileSync(join(dir, "cgroup.procs"), String(pid));
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "rktlet-cgreal-"));
  clearCgroupCache();
  const own = ownDirs();
  if (!own.has("cpuacct") || !own.has("memory")) {
    skip = "no cgroup v1 cpuacct and memory hierarchies here";
    return;
  }
  try {
    for (const [key, dir] of own) {
      const pod = join(dir, `rktlet-test-${process.pid}`);
      const app = join(pod, "system.slice", `${APP}.service`);
      mkdirSync(app, { recursive: true });
      made.push({ key, pod, app });
    }
  } catch (e) {
    skip = `cgroups are not writable here (${(e as Error).message})`;
  }
});

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGKILL");
      await new Promise((r) => c.once("exit", r));
    }
  }
  for (const m of made) {
    for (const dir of [m.app, join(m.pod, "system.slice"), m.pod]) {
      for (let i = 0; i < 40; i++) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EBUSY") break;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  }
  made = [];
  rmSync(dataDir, { recursive: true, force: true });
});

test("a busy app in real v1 cgroups: found from the pod pid file, with CPU, memory and tasks", async () => {
  if (skip) {
    console.warn(`skipped: ${skip}`);
    return;
  }
  // The pod: a process in the pod cgroups, recorded as rkt records stage1's pid.
  const podProc = spawn("sleep", ["300"], { stdio: "ignore" });
  children.push(podProc);
  for (const m of made) moveTo(m.pod, podProc.pid!);
  mkdirSync(join(dataDir, "pods", "run", UUID), { recursive: true });
  writeFileSync(join(dataDir, "pods", "run", UUID, "pid"), String(podProc.pid));

  // The app: waits to be moved, then execs a fresh shell (its memory is charged to the new cgroup) that spins.
  const spin = 'x=; i=0; while :; do x="$x."; i=$((i + 1)); [ $i -gt 20000 ] && x= && i=0; done';
  const busy = spawn("sh", ["-c", 'read _; exec sh -c "$0"', spin], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  children.push(busy);
  for (const m of made) moveTo(m.app, busy.pid!);
  busy.stdin!.write("\n");

  const app = await appCgroups(dataDir, UUID, APP);
  const byKey = (k: string) => made.find((m) => m.key === k);
  expect(app?.version).toBe(1);
  expect(app?.pid).toBe(podProc.pid);
  expect(app?.dirs.cpuacct).toBe(byKey("cpuacct")?.app);
  expect(app?.dirs.memory).toBe(byKey("memory")?.app);
  if (byKey("pids")) expect(app?.dirs.pids).toBe(byKey("pids")?.app);
  if (byKey("name=systemd")) expect(app?.dirs.systemd).toBe(byKey("name=systemd")?.app);

  await new Promise((r) => setTimeout(r, 500));
  const usage = await readCgroupUsage(app!);
  console.log("real v1 app cgroup after 0.5 s of a busy loop:", usage);
  expect(usage.cpuUsageNs).toBeGreaterThan(50_000_000n);
  expect(usage.memoryUsageBytes).toBeGreaterThan(0n);
  expect(usage.workingSetBytes).toBeGreaterThan(0n);
  expect(usage.availableBytes).toBe(0n);
  if (app?.dirs.pids) expect(usage.pids).toBe(1n);

  const pod = await podCgroups(dataDir, UUID);
  expect(pod?.dirs.memory).toBe(byKey("memory")?.pod);
  const podUsage = await readCgroupUsage(pod!);
  console.log("real v1 pod cgroup:", podUsage);
  // Hierarchical: the pod's counters include its app's.
  expect(podUsage.cpuUsageNs).toBeGreaterThanOrEqual(usage.cpuUsageNs!);
  expect(podUsage.memoryUsageBytes).toBeGreaterThanOrEqual(usage.memoryUsageBytes!);
  if (pod?.dirs.pids) expect(podUsage.pids).toBe(2n);

  // A memory limit shows as such, and as available bytes.
  writeFileSync(join(byKey("memory")!.app, "memory.limit_in_bytes"), String(256 * 1024 * 1024));
  const limited = await readCgroupUsage(app!);
  expect(limited.memoryLimitBytes).toBe(256n * 1024n * 1024n);
  expect(limited.availableBytes).toBe(256n * 1024n * 1024n - limited.workingSetBytes!);
});
