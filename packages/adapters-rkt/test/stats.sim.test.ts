import { existsSync } from "node:fs";
import { appCgroups, parseContainerId } from "@rktlet/adapters-rkt";
import { type Container, ContainerState, type ContainerStats } from "@rktlet/core";
import { container, pod, type SimEnv, startSimEnv, until } from "./sim-env";

/**
 * Stats over the simulator: its apps are real processes in per-app cgroups, as stage1's systemd places them
 * (`<pod cgroup>/system.slice/<app>.service` in each controller hierarchy), so the numbers are real ones;
 * and no stats call may start a process.
 */
const PODS = 5;
const APPS = 4;
// Grows a string and forks a sleep every 20 ms: some CPU and memory in every app, without saturating the host.
const WORK = 'x=; i=0; while :; do x="$x."; i=$((i + 1)); [ $i -gt 4000 ] && x= && i=0; sleep 0.02; done';

let env: SimEnv;
const podIds: string[] = [];
/** Whether this host lets the simulator make cgroups (cgroup v1 or v2, writable). */
let cgroupsUsable = false;

beforeAll(async () => {
  // No periodic re-read of rkt's state (a `rkt list` now and then): the spawn counter then counts only what the test does.
  env = await startSimEnv({ watchMs: 3_600_000 });
  await env.runtime.images.pull("busybox", undefined);
  await Promise.all(
    Array.from({ length: PODS }, async (_, p) => {
      const id = await env.runtime.sandboxes.run(pod(`stats-${p}`, env.logDir));
      podIds.push(id);
      for (let a = 0; a < APPS; a++) {
        const cid = await env.runtime.containers.create(id, container(`c${a}`, WORK));
        await env.runtime.containers.start(cid);
      }
    }),
  );
  const first = (await env.runtime.containers.list({ state: ContainerState.Running }))[0];
  const ids = first && parseContainerId(first.id);
  cgroupsUsable = ids !== undefined && (await appCgroups(env.backend.context.config.dataDir, ids.podUuid, ids.app)) !== undefined;
  if (!cgroupsUsable) console.warn("skipping usage checks: the simulator could not make cgroups on this host");
}, 120_000);
afterAll(async () => {
  await env.close();
}, 60_000);

const nonZero = (s: ContainerStats) =>
  (s.cpu?.usageCoreNanoSeconds ?? 0n) > 0n && (s.memory?.usageBytes ?? 0n) > 0n && (s.memory?.workingSetBytes ?? 0n) > 0n;

test("20 running containers: CPU and memory of each from its own cgroup, and no rkt process for it", async () => {
  // The warm-up list (it may refresh rkt's snapshot, which is a process).
  const running: readonly Container[] = await env.runtime.containers.list({ state: ContainerState.Running });
  expect(running).toHaveLength(PODS * APPS);
  const spawnsBefore = env.backend.runner.spawns.total;
  const stats = env.backend.stats;

  const first = await stats.containerStats(running);
  expect(first.map((s) => s.id).sort()).toEqual(running.map((c) => c.id).sort());
  if (!cgroupsUsable) return;
  // Every app has its own cgroup: no two containers share one.
  const dataDir = env.backend.context.config.dataDir;
  const dirs = await Promise.all(
    running.map(async (c) => {
      const id = parseContainerId(c.id)!;
      return (await appCgroups(dataDir, id.podUuid, id.app))!;
    }),
  );
  for (const key of ["systemd", "cpuacct", "memory", "unified"] as const) {
    const seen = dirs.map((d) => d.dirs[key]).filter((d) => d !== undefined);
    expect(new Set(seen).size).toBe(seen.length);
  }

  const all = await until(
    async () => {
      const s = await stats.containerStats(running);
      return s.every(nonZero) && s;
    },
    15_000,
    "usage in every container",
  );
  await new Promise((r) => setTimeout(r, 1100));
  const later = await stats.containerStats(running);
  expect(env.backend.runner.spawns.total).toBe(spawnsBefore);

  for (const s of later) {
    const before = all.find((x) => x.id === s.id)!;
    expect(nonZero(s)).toBe(true);
    expect(s.cpu!.usageCoreNanoSeconds).toBeGreaterThanOrEqual(before.cpu!.usageCoreNanoSeconds);
    // The rate over the last 1.1 s, from the difference with the previous sample.
    expect(s.cpu!.usageNanoCores).toBeGreaterThan(0n);
    expect(s.cpu!.usageNanoCores).toBeLessThan(2_000_000_000n);
    expect(s.memory!.rssBytes).toBeGreaterThanOrEqual(0n);
    expect(s.memory!.availableBytes).toBe(0n);
    expect(s.cpu!.timestamp).toBeGreaterThan(before.cpu!.timestamp);
  }
  const sum = (f: (s: ContainerStats) => bigint) => later.reduce((a, s) => a + f(s), 0n);
  console.log(
    `${later.length} containers: cpu ${sum((s) => s.cpu!.usageCoreNanoSeconds) / 1_000_000n} ms in all, ` +
      `rates ${later.map((s) => s.cpu!.usageNanoCores / 1_000_000n).join(",")} millicores, ` +
      `working sets ${later.map((s) => s.memory!.workingSetBytes / 1024n).join(",")} KiB`,
  );
});

test("pod stats: processes, CPU, memory and network of each pod; metrics from the same numbers", async () => {
  const running = await env.runtime.containers.list({ state: ContainerState.Running });
  const sandboxes = await Promise.all(podIds.map(async (id) => (await env.runtime.sandboxes.status(id)).sandbox));
  const spawnsBefore = env.backend.runner.spawns.total;
  for (const sandbox of sandboxes) {
    const mine = running.filter((c) => c.podSandboxId === sandbox.id);
    const s = await env.backend.stats.podSandboxStats(sandbox, mine);
    expect(s.containers).toHaveLength(APPS);
    // The pod's network namespace (here the host's): interfaces other than loopback.
    expect(s.network?.defaultInterface?.name).toBeTruthy();
    if (!cgroupsUsable) continue;
    expect(s.process?.processCount).toBeGreaterThan(0n);
    expect(s.cpu?.usageCoreNanoSeconds).toBeGreaterThan(0n);
    expect(s.memory?.usageBytes).toBeGreaterThan(0n);
    // The pod's cgroup holds its apps' cgroups.
    const apps = s.containers.reduce((a, c) => a + (c.cpu?.usageCoreNanoSeconds ?? 0n), 0n);
    expect(s.cpu!.usageCoreNanoSeconds).toBeGreaterThanOrEqual(apps);
    if (sandbox === sandboxes[0]) {
      console.log(
        `pod ${sandbox.metadata.name}: ${s.process!.processCount} tasks, cpu ${s.cpu!.usageCoreNanoSeconds / 1_000_000n} ms ` +
          `(apps ${apps / 1_000_000n} ms), memory ${s.memory!.usageBytes / 1024n} KiB, ` +
          `network ${s.network!.defaultInterface!.name} rx ${s.network!.defaultInterface!.rxBytes} B`,
      );
    }

    const m = await env.backend.stats.podSandboxMetrics(sandbox, mine);
    const names = new Set((await env.backend.stats.metricDescriptors()).map((d) => d.name));
    for (const metric of [...m.metrics, ...m.containerMetrics.flatMap((c) => c.metrics)]) expect(names.has(metric.name)).toBe(true);
    expect(m.containerMetrics).toHaveLength(APPS);
    const ws = m.containerMetrics[0]!.metrics.find((x) => x.name === "container_memory_working_set_bytes");
    expect(ws?.value).toBeGreaterThan(0n);
    expect(ws?.labelValues).toEqual([expect.stringMatching(/^c\d$/), sandbox.metadata.name, "default"]);
    expect(m.metrics.some((x) => x.name === "container_network_receive_bytes_total" && x.labelValues.length === 4)).toBe(true);
    expect(m.containerMetrics[0]!.metrics.find((x) => x.name === "container_processes")?.value).toBeGreaterThan(0n);
  }
  expect(env.backend.runner.spawns.total).toBe(spawnsBefore);
});

test("stopped containers and removed pods leave no cgroups behind", async () => {
  if (!cgroupsUsable) return;
  const dataDir = env.backend.context.config.dataDir;
  const id = podIds[0]!;
  const mine = (await env.runtime.containers.list({ podSandboxId: id })).filter((c) => c.state === ContainerState.Running);
  const c = parseContainerId(mine[0]!.id)!;
  const dirs = Object.values((await appCgroups(dataDir, c.podUuid, c.app))!.dirs);
  expect(dirs.length).toBeGreaterThan(0);
  await env.runtime.containers.stop(mine[0]!.id, 5);
  await until(async () => dirs.every((d) => !existsSync(d)), 5_000, "the app's cgroups to go");
  const [stopped] = await env.backend.stats.containerStats([await env.runtime.containers.status(mine[0]!.id)]);
  expect(stopped?.cpu).toBeUndefined();
  expect(stopped?.memory).toBeUndefined();

  // The whole pod: its scopes (all hierarchies) go with it.
  const others = await Promise.all(
    mine.slice(1).map(async (x) => {
      const p = parseContainerId(x.id)!;
      return Object.values((await appCgroups(dataDir, p.podUuid, p.app))!.dirs);
    }),
  );
  const scopes = [...new Set(others.flat().map((d) => d.replace(/\/system\.slice\/[^/]+$/, "")))];
  await env.runtime.sandboxes.stop(id);
  await env.runtime.sandboxes.remove(id);
  await until(async () => scopes.every((d) => !existsSync(d)), 10_000, "the pod's cgroups to go");
});
