import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { appUpperDir, clearCgroupCache, diskUsage, type RktBackend, RktStatsProvider } from "@rktlet/adapters-rkt";
import { type Container, ContainerState, type PodSandbox, PodSandboxState } from "@rktlet/core";

/** RktStatsProvider over a fake cgroup v2 host tree and a hand-driven clock. */
const UUID = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d";
const SCOPE = "machine.slice/machine-rkt\\x2d7a6b5c4d\\x2d3e2f\\x2d4a1b\\x2d8c9d\\x2d0e1f2a3b4c5d.scope";
const PID = 5151;
const S = 1_000_000_000n;

let root: string;
let now: bigint;
let stats: RktStatsProvider;
const dataDir = () => join(root, "data");
const cg = (...p: string[]) => join("sys/fs/cgroup", SCOPE, ...p);

function write(rel: string, text: string): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function appFiles(app: string, usec: number, current: number): void {
  const dir = cg("system.slice", `${app}.service`);
  write(join(dir, "cpu.stat"), `usage_usec ${usec}\n`);
  write(join(dir, "memory.current"), `${current}\n`);
  write(join(dir, "memory.max"), "1048576\n");
  write(join(dir, "memory.stat"), "anon 4096\ninactive_file 1024\npgfault 5\npgmajfault 1\n");
  write(join(dir, "pids.current"), "1\n");
  write(join(dir, "cgroup.procs"), "100\n");
}

function container(app: string, over: Partial<Container> = {}): Container {
  return {
    id: `${UUID}:${app}`,
    podSandboxId: UUID,
    metadata: { name: app.replace(/^\d+-/, ""), attempt: 0 },
    image: { image: "busybox", annotations: {} },
    imageRef: "sha512-x",
    imageId: "sha512-x",
    state: ContainerState.Running,
    createdAt: 1n,
    startedAt: 10n * S,
    finishedAt: 0n,
    exitCode: 0,
    reason: "",
    message: "",
    labels: { l: "1" },
    annotations: { a: "1" },
    mounts: [],
    logPath: "",
    resources: undefined,
    ...over,
  };
}

const sandbox = (state: PodSandbox["state"] = PodSandboxState.Ready): PodSandbox => ({
  id: UUID,
  metadata: { name: "web", uid: "u", namespace: "ns", attempt: 0 },
  state,
  createdAt: 5n * S,
  labels: {},
  annotations: {},
  network: undefined,
  namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD", targetId: "" },
  runtimeHandler: "",
  logDirectory: "",
  privileged: false,
});

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "rktlet-stats-"));
  clearCgroupCache();
  write("proc/self/mountinfo", "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  write(`proc/${PID}/cgroup`, `0::/${SCOPE}/init.scope\n`);
  write(
    `proc/${PID}/net/dev`,
    "h\nh\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n  veth9: 5 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0\n  eth0: 10 2 1 0 0 0 0 0 20 3 2 0 0 0 0 0\n",
  );
  write(`data/pods/run/${UUID}/pid`, String(PID));
  write(cg("cpu.stat"), "usage_usec 9000000\n");
  write(cg("memory.current"), "3000\n");
  write(cg("memory.max"), "max\n");
  write(cg("memory.stat"), "anon 100\ninactive_file 1000\n");
  write(cg("cgroup.procs"), "1\n");
  write(cg("init.scope", "cgroup.procs"), "2\n3\n");
  write(cg("system.slice", "cgroup.procs"), "");
  appFiles("0-web", 2_000_000, 8192);
  now = 20n * S;
  // Only the context's data dir and clock are used.
  const ctx = { config: { dataDir: dataDir() }, clock: { now: () => now } } as unknown as RktBackend["context"];
  stats = new RktStatsProvider(ctx, { root });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test("container usage from its cgroup; the CPU rate from the previous sample", async () => {
  const c = container("0-web");
  const [first] = await stats.containerStats([c]);
  expect(first).toEqual({
    id: c.id,
    podSandboxId: UUID,
    metadata: c.metadata,
    labels: c.labels,
    annotations: c.annotations,
    // No earlier sample: the average since the start (2 s of CPU over 10 s).
    cpu: { timestamp: 20n * S, usageCoreNanoSeconds: 2n * S, usageNanoCores: 200_000_000n },
    memory: {
      timestamp: 20n * S,
      workingSetBytes: 7168n,
      availableBytes: 1048576n - 7168n,
      usageBytes: 8192n,
      rssBytes: 4096n,
      pageFaults: 5n,
      majorPageFaults: 1n,
    },
    writableLayer: undefined,
  });

  // 0.5 s of CPU over 2 s: a quarter of a core.
  appFiles("0-web", 2_500_000, 8192);
  now += 2n * S;
  expect((await stats.containerStats([c]))[0]?.cpu?.usageNanoCores).toBe(250_000_000n);
  // A window under a second gives the last rate again, with the new cumulative time.
  appFiles("0-web", 2_600_000, 8192);
  now += S / 10n;
  expect((await stats.containerStats([c]))[0]?.cpu).toEqual({
    timestamp: now,
    usageCoreNanoSeconds: 2_600_000_000n,
    usageNanoCores: 250_000_000n,
  });
  // 1.1 s of CPU over the 1.1 s since the last sample that set the rate.
  now += S;
  appFiles("0-web", 3_600_000, 8192);
  expect((await stats.containerStats([c]))[0]?.cpu?.usageNanoCores).toBe(1_000_000_000n);
});

test("a container without a cgroup (exited, or a bad id) has no usage", async () => {
  const [gone, bad] = await stats.containerStats([
    container("0-gone", { state: ContainerState.Exited }),
    container("x", { id: "nonsense" }),
  ]);
  expect(gone).toMatchObject({ id: `${UUID}:0-gone`, cpu: undefined, memory: undefined, writableLayer: undefined });
  expect(bad).toMatchObject({ id: "nonsense", cpu: undefined, memory: undefined });
});

test("pod stats: the pod's cgroup, its processes (cgroup.procs without pids.current) and its network", async () => {
  const s = await stats.podSandboxStats(sandbox(), [container("0-web")]);
  expect(s.cpu).toEqual({ timestamp: now, usageCoreNanoSeconds: 9n * S, usageNanoCores: 600_000_000n });
  expect(s.memory).toMatchObject({ usageBytes: 3000n, workingSetBytes: 2000n, availableBytes: 0n, rssBytes: 100n });
  // 1 in the pod's cgroup, 2 in init.scope, 1 in the app's.
  expect(s.process).toEqual({ timestamp: now, processCount: 4n });
  expect(s.network).toEqual({
    timestamp: now,
    defaultInterface: { name: "eth0", rxBytes: 10n, rxErrors: 1n, txBytes: 20n, txErrors: 2n },
    interfaces: [{ name: "veth9", rxBytes: 5n, rxErrors: 0n, txBytes: 6n, txErrors: 0n }],
  });
  expect(s.containers.map((c) => c.id)).toEqual([`${UUID}:0-web`]);

  const notReady = await stats.podSandboxStats(sandbox(PodSandboxState.NotReady), []);
  expect(notReady).toMatchObject({ cpu: undefined, memory: undefined, network: undefined, process: undefined, containers: [] });
});

test("metrics: cAdvisor names, label values in the descriptors' order, live timestamps 0", async () => {
  const descriptors = await stats.metricDescriptors();
  const byName = new Map(descriptors.map((d) => [d.name, d]));
  expect([...byName.keys()]).toEqual(
    expect.arrayContaining([
      "container_cpu_usage_seconds_total",
      "container_memory_working_set_bytes",
      "container_memory_usage_bytes",
      "container_memory_rss",
      "container_spec_memory_limit_bytes",
      "container_processes",
      "container_network_receive_bytes_total",
      "container_network_transmit_bytes_total",
    ]),
  );
  const m = await stats.podSandboxMetrics(sandbox(), [container("0-web"), container("0-gone", { state: ContainerState.Exited })]);
  expect(m.podSandboxId).toBe(UUID);
  for (const x of [...m.metrics, ...m.containerMetrics.flatMap((c) => c.metrics)]) {
    expect(x.labelValues).toHaveLength(byName.get(x.name)!.labelKeys.length);
    expect(x.timestamp).toBe(0n);
  }
  const pod = (name: string) => m.metrics.filter((x) => x.name === name);
  expect(pod("container_cpu_usage_seconds_total")).toEqual([
    { name: "container_cpu_usage_seconds_total", timestamp: 0n, type: "COUNTER", labelValues: ["", "web", "ns"], value: 9n },
  ]);
  expect(pod("container_network_receive_bytes_total").map((x) => [x.labelValues[3], x.value])).toEqual([
    ["veth9", 5n],
    ["eth0", 10n],
  ]);
  expect(m.containerMetrics).toHaveLength(1);
  const web = new Map(m.containerMetrics[0]!.metrics.map((x) => [x.name, x]));
  expect(m.containerMetrics[0]!.containerId).toBe(`${UUID}:0-web`);
  expect(web.get("container_memory_working_set_bytes")).toEqual({
    name: "container_memory_working_set_bytes",
    timestamp: 0n,
    type: "GAUGE",
    labelValues: ["web", "web", "ns"],
    value: 7168n,
  });
  expect(web.get("container_spec_memory_limit_bytes")?.value).toBe(1048576n);
  expect(web.get("container_processes")?.value).toBe(1n);
  expect(web.get("container_cpu_usage_seconds_total")?.value).toBe(2n);
});

test("writable layer: the app's overlay upper directory, measured like du", async () => {
  const pod = join(dataDir(), "pods", "run", UUID);
  write(`data/pods/run/${UUID}/appsinfo/0-web/treeStoreID`, "deps-sha512-0123abcd\n");
  const upper = join(pod, "overlay", "deps-sha512-0123abcd", "upper", "0-web");
  mkdirSync(join(upper, "etc"), { recursive: true });
  writeFileSync(join(upper, "etc", "hostname"), "x".repeat(10_000));
  writeFileSync(join(upper, "big"), Buffer.alloc(100_000, 1));
  expect(await appUpperDir(dataDir(), UUID, "0-web")).toBe(upper);
  const du = await diskUsage(upper);
  expect(du?.inodes).toBe(4n);
  expect(du?.bytes).toBeGreaterThanOrEqual(110_000n);
  const [s] = await stats.containerStats([container("0-web")]);
  expect(s?.writableLayer).toEqual({ timestamp: now, mountpoint: dataDir(), usedBytes: du!.bytes, inodesUsed: 4n });
  expect(await diskUsage(upper, 2)).toBeUndefined();
  expect(await appUpperDir(dataDir(), UUID, "0-other")).toBeUndefined();
});
