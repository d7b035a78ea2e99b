import {
  type Container,
  type ContainerStats,
  type CpuUsage,
  type FilesystemUsage,
  type MemoryUsage,
  type Metric,
  type MetricDescriptor,
  type Nanos,
  type NetworkUsage,
  type PodSandbox,
  type PodSandboxMetrics,
  PodSandboxState,
  type PodSandboxStats,
  type StatsProvider,
} from "@rktlet/core";
import { defaultInterface, type InterfaceCounters, readNetDev } from "./cgroups/net";
import { appCgroups, type CgroupDirs, type CgroupPathOptions, podCgroups } from "./cgroups/paths";
import { type CgroupUsage, countProcesses, readCgroupUsage } from "./cgroups/read";
import { appUpperDir, diskUsage } from "./cgroups/writable-layer";
import { parseContainerId } from "./commands/names";
import type { RktContext } from "./context";

export interface RktStatsOptions extends CgroupPathOptions {
  /** How long a writable layer's measured size is reused (measuring walks the app's upper directory). */
  readonly writableLayerTtlMs?: number;
}

/** Rates over windows shorter than this are noise (ListContainerStats and ListPodSandboxStats often come together). */
const MIN_RATE_WINDOW_NS = 1_000_000_000n;
/** CPU samples of containers not asked about for this long are dropped. */
const SAMPLE_MAX_IDLE_NS = 10n * 60n * 1_000_000_000n;
const NS_PER_S = 1_000_000_000n;

interface CpuSample {
  readonly at: Nanos;
  readonly cpuNs: bigint;
  readonly nanoCores: bigint;
  seenAt: Nanos;
}

/** What one cgroup read gives, plus the process count (pids controller, else cgroup.procs). */
interface Sample {
  readonly cg: CgroupDirs;
  readonly usage: CgroupUsage;
  readonly processes: bigint | undefined;
}

const LABELS = ["container", "pod", "namespace"] as const;
const DESCRIPTORS: readonly (MetricDescriptor & { readonly type: Metric["type"] })[] = [
  { name: "container_cpu_usage_seconds_total", help: "Cumulative cpu time consumed in seconds.", labelKeys: LABELS, type: "COUNTER" },
  {
    name: "container_memory_usage_bytes",
    help: "Current memory usage in bytes, including all memory regardless of when it was accessed.",
    labelKeys: LABELS,
    type: "GAUGE",
  },
  { name: "container_memory_working_set_bytes", help: "Current working set in bytes.", labelKeys: LABELS, type: "GAUGE" },
  { name: "container_memory_rss", help: "Size of RSS in bytes.", labelKeys: LABELS, type: "GAUGE" },
  { name: "container_spec_memory_limit_bytes", help: "Memory limit for the container (0: none).", labelKeys: LABELS, type: "GAUGE" },
  { name: "container_processes", help: "Number of processes (tasks) running inside the container.", labelKeys: LABELS, type: "GAUGE" },
  {
    name: "container_network_receive_bytes_total",
    help: "Cumulative count of bytes received.",
    labelKeys: [...LABELS, "interface"],
    type: "COUNTER",
  },
  {
    name: "container_network_receive_errors_total",
    help: "Cumulative count of errors encountered while receiving.",
    labelKeys: [...LABELS, "interface"],
    type: "COUNTER",
  },
  {
    name: "container_network_transmit_bytes_total",
    help: "Cumulative count of bytes transmitted.",
    labelKeys: [...LABELS, "interface"],
    type: "COUNTER",
  },
  {
    name: "container_network_transmit_errors_total",
    help: "Cumulative count of errors encountered while transmitting.",
    labelKeys: [...LABELS, "interface"],
    type: "COUNTER",
  },
];
const TYPES = new Map(DESCRIPTORS.map((d) => [d.name, d.type]));

/**
 * Stats of rkt pods and apps from the kernel, never from a process: each app's cgroup
 * (`<pod cgroup>/system.slice/<app>.service`, see cgroups/paths.ts) for CPU, memory and processes, the
 * pod's cgroup for the sandbox, and the pod's network namespace (`/proc/<pod pid>/net/dev`) for network.
 * What cannot be read (not running, controller not enabled) is left undefined, which kubelet reads as
 * "unknown" rather than as zero.
 */
export class RktStatsProvider implements StatsProvider {
  private readonly cpuSamples = new Map<string, CpuSample>();
  private readonly layers = new Map<string, { readonly at: number; readonly value: Promise<FilesystemUsage | undefined> }>();

  constructor(
    private readonly ctx: RktContext,
    private readonly options: RktStatsOptions = {},
  ) {}

  async containerStats(containers: readonly Container[]): Promise<readonly ContainerStats[]> {
    const now = this.ctx.clock.now();
    const out = await Promise.all(containers.map((c) => this.oneContainer(c, now)));
    this.prune(now);
    return out;
  }

  async podSandboxStats(sandbox: PodSandbox, containers: readonly Container[]): Promise<PodSandboxStats> {
    const now = this.ctx.clock.now();
    const [pod, containerStats] = await Promise.all([this.samplePod(sandbox), this.containerStats(containers)]);
    const interfaces = pod ? await readNetDev(pod.cg.pid, this.options.root) : undefined;
    return {
      id: sandbox.id,
      metadata: sandbox.metadata,
      labels: sandbox.labels,
      annotations: sandbox.annotations,
      cpu: pod && this.cpu(`pod:${sandbox.id}`, pod.usage, now, sandbox.createdAt),
      memory: pod && memory(pod.usage, now),
      network: interfaces && network(interfaces, now),
      process: pod?.processes === undefined ? undefined : { timestamp: now, processCount: pod.processes },
      containers: containerStats,
    };
  }

  async metricDescriptors(): Promise<readonly MetricDescriptor[]> {
    return DESCRIPTORS.map(({ name, help, labelKeys }) => ({ name, help, labelKeys }));
  }

  async podSandboxMetrics(sandbox: PodSandbox, containers: readonly Container[]): Promise<PodSandboxMetrics> {
    const { name: podName, namespace } = sandbox.metadata;
    const [pod, samples] = await Promise.all([this.samplePod(sandbox), Promise.all(containers.map((c) => this.sampleContainer(c)))]);
    const metrics = pod ? usageMetrics(pod, ["", podName, namespace]) : [];
    const interfaces = pod ? await readNetDev(pod.cg.pid, this.options.root) : undefined;
    for (const i of interfaces ?? []) {
      const labels = ["", podName, namespace, i.name];
      metrics.push(
        metric("container_network_receive_bytes_total", labels, i.rxBytes),
        metric("container_network_receive_errors_total", labels, i.rxErrors),
        metric("container_network_transmit_bytes_total", labels, i.txBytes),
        metric("container_network_transmit_errors_total", labels, i.txErrors),
      );
    }
    const containerMetrics: { containerId: string; metrics: Metric[] }[] = [];
    containers.forEach((c, i) => {
      const s = samples[i];
      if (s) containerMetrics.push({ containerId: c.id, metrics: usageMetrics(s, [c.metadata.name, podName, namespace]) });
    });
    return { podSandboxId: sandbox.id, metrics, containerMetrics };
  }

  private async oneContainer(c: Container, now: Nanos): Promise<ContainerStats> {
    const [s, writableLayer] = await Promise.all([this.sampleContainer(c), this.writableLayer(c, now)]);
    if (!s) this.cpuSamples.delete(c.id);
    return {
      id: c.id,
      podSandboxId: c.podSandboxId,
      metadata: c.metadata,
      labels: c.labels,
      annotations: c.annotations,
      cpu: s && this.cpu(c.id, s.usage, now, c.startedAt),
      memory: s && memory(s.usage, now),
      writableLayer,
    };
  }

  private async sampleContainer(c: Container): Promise<Sample | undefined> {
    const id = parseContainerId(c.id);
    if (!id) return undefined;
    return this.sample(await appCgroups(this.ctx.config.dataDir, id.podUuid, id.app, this.options));
  }

  /** The pod's own cgroup; only for a ready sandbox (an exited pod's recorded pid may belong to another process by now). */
  private async samplePod(sandbox: PodSandbox): Promise<Sample | undefined> {
    if (sandbox.state !== PodSandboxState.Ready) return undefined;
    return this.sample(await podCgroups(this.ctx.config.dataDir, sandbox.id, this.options));
  }

  private async sample(cg: CgroupDirs | undefined): Promise<Sample | undefined> {
    if (!cg) return undefined;
    const usage = await readCgroupUsage(cg);
    const procsDir = cg.dirs.systemd ?? cg.dirs.unified;
    const processes = usage.pids ?? (procsDir === undefined ? undefined : await countProcesses(procsDir));
    return { cg, usage, processes };
  }

  /**
   * Cumulative CPU and the rate since the previous sample of the same container (or pod). Without a previous
   * sample, the average since it started; over a window under a second, the last rate again.
   */
  private cpu(key: string, usage: CgroupUsage, now: Nanos, since: Nanos): CpuUsage | undefined {
    const cpuNs = usage.cpuUsageNs;
    if (cpuNs === undefined) return undefined;
    const prev = this.cpuSamples.get(key);
    let nanoCores: bigint;
    if (prev && cpuNs >= prev.cpuNs && now >= prev.at) {
      if (now - prev.at < MIN_RATE_WINDOW_NS) {
        prev.seenAt = now;
        return { timestamp: now, usageCoreNanoSeconds: cpuNs, usageNanoCores: prev.nanoCores };
      }
      nanoCores = ((cpuNs - prev.cpuNs) * NS_PER_S) / (now - prev.at);
    } else {
      // First sample, or the counter went back (a new cgroup under the same name).
      nanoCores = since > 0n && now > since ? (cpuNs * NS_PER_S) / (now - since) : 0n;
    }
    this.cpuSamples.set(key, { at: now, cpuNs, nanoCores, seenAt: now });
    return { timestamp: now, usageCoreNanoSeconds: cpuNs, usageNanoCores: nanoCores };
  }

  /**
   * A caller may ask about one container, one pod's or all running ones, so "not in this list" does not mean
   * gone: samples are dropped when their cgroup is gone (above) or when nobody asked for ten minutes.
   */
  private prune(now: Nanos): void {
    for (const [k, s] of this.cpuSamples) if (now - s.seenAt > SAMPLE_MAX_IDLE_NS) this.cpuSamples.delete(k);
    const ttl = this.options.writableLayerTtlMs ?? 60_000;
    const t = Date.now();
    for (const [k, l] of this.layers) if (t - l.at > 2 * ttl) this.layers.delete(k);
  }

  /**
   * The app's overlay upper directory, measured like `du` at most once per TTL (a directory walk, no
   * process). Undefined without overlay (no separate writable layer) or before the app's rootfs exists.
   */
  private writableLayer(c: Container, now: Nanos): Promise<FilesystemUsage | undefined> {
    const id = parseContainerId(c.id);
    if (!id) return Promise.resolve(undefined);
    const ttl = this.options.writableLayerTtlMs ?? 60_000;
    const cached = this.layers.get(c.id);
    if (cached && Date.now() - cached.at < ttl) return cached.value;
    const dataDir = this.ctx.config.dataDir;
    const value = (async (): Promise<FilesystemUsage | undefined> => {
      const dir = await appUpperDir(dataDir, id.podUuid, id.app);
      const du = dir === undefined ? undefined : await diskUsage(dir);
      return du && { timestamp: now, mountpoint: dataDir, usedBytes: du.bytes, inodesUsed: du.inodes };
    })().catch(() => undefined);
    this.layers.set(c.id, { at: Date.now(), value });
    return value;
  }
}

function memory(u: CgroupUsage, now: Nanos): MemoryUsage | undefined {
  if (u.memoryUsageBytes === undefined) return undefined;
  return {
    timestamp: now,
    workingSetBytes: u.workingSetBytes ?? 0n,
    availableBytes: u.availableBytes ?? 0n,
    usageBytes: u.memoryUsageBytes,
    rssBytes: u.rssBytes ?? 0n,
    pageFaults: u.pageFaults ?? 0n,
    majorPageFaults: u.majorPageFaults ?? 0n,
  };
}

function network(interfaces: readonly InterfaceCounters[], now: Nanos): NetworkUsage {
  const def = defaultInterface(interfaces);
  const usage = (i: InterfaceCounters) => ({
    name: i.name,
    rxBytes: i.rxBytes,
    rxErrors: i.rxErrors,
    txBytes: i.txBytes,
    txErrors: i.txErrors,
  });
  return { timestamp: now, defaultInterface: def && usage(def), interfaces: interfaces.filter((i) => i !== def).map(usage) };
}

/** Metrics gathered live carry timestamp 0 (CRI's Metric.timestamp: only cached values carry their time). */
function metric(name: string, labelValues: readonly string[], value: bigint): Metric {
  return { name, timestamp: 0n, type: TYPES.get(name) ?? "GAUGE", labelValues, value };
}

function usageMetrics(s: Sample, labels: readonly string[]): Metric[] {
  const u = s.usage;
  const out: Metric[] = [];
  const add = (name: string, value: bigint | undefined) => {
    if (value !== undefined) out.push(metric(name, labels, value));
  };
  add("container_cpu_usage_seconds_total", u.cpuUsageNs === undefined ? undefined : u.cpuUsageNs / NS_PER_S);
  add("container_memory_usage_bytes", u.memoryUsageBytes);
  add("container_memory_working_set_bytes", u.workingSetBytes);
  add("container_memory_rss", u.rssBytes);
  if (u.memoryUsageBytes !== undefined) add("container_spec_memory_limit_bytes", u.memoryLimitBytes ?? 0n);
  add("container_processes", s.processes);
  return out;
}
