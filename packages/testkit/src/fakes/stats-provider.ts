import {
  type Clock,
  type Container,
  ContainerState,
  type ContainerStats,
  type MetricDescriptor,
  type PodSandbox,
  type PodSandboxMetrics,
  type PodSandboxStats,
  type StatsProvider,
  systemClock,
} from "@rktlet/core";

const MIB = 1024n * 1024n;

/**
 * Synthetic but plausible usage: a running container burns a tenth of a core since it started and
 * holds 8 MiB; sandboxes sum their containers. Deterministic for a given clock.
 */
export class FakeStatsProvider implements StatsProvider {
  constructor(private readonly clock: Clock = systemClock) {}

  async containerStats(containers: readonly Container[]): Promise<readonly ContainerStats[]> {
    return containers.map((c) => this.one(c));
  }

  async podSandboxStats(sandbox: PodSandbox, containers: readonly Container[]): Promise<PodSandboxStats> {
    const now = this.clock.now();
    const stats = containers.map((c) => this.one(c));
    const sum = (f: (s: ContainerStats) => bigint) => stats.reduce((acc, s) => acc + f(s), 0n);
    return {
      id: sandbox.id,
      metadata: sandbox.metadata,
      labels: sandbox.labels,
      annotations: sandbox.annotations,
      cpu: {
        timestamp: now,
        usageCoreNanoSeconds: sum((s) => s.cpu?.usageCoreNanoSeconds ?? 0n),
        usageNanoCores: sum((s) => s.cpu?.usageNanoCores ?? 0n),
      },
      memory: {
        timestamp: now,
        workingSetBytes: sum((s) => s.memory?.workingSetBytes ?? 0n),
        availableBytes: 0n,
        usageBytes: sum((s) => s.memory?.usageBytes ?? 0n),
        rssBytes: sum((s) => s.memory?.rssBytes ?? 0n),
        pageFaults: 0n,
        majorPageFaults: 0n,
      },
      network: { timestamp: now, defaultInterface: { name: "eth0", rxBytes: 0n, rxErrors: 0n, txBytes: 0n, txErrors: 0n }, interfaces: [] },
      process: { timestamp: now, processCount: BigInt(stats.filter((s) => (s.cpu?.usageNanoCores ?? 0n) > 0n).length) },
      containers: stats,
    };
  }

  async metricDescriptors(): Promise<readonly MetricDescriptor[]> {
    return [
      {
        name: "container_cpu_usage_seconds_total",
        help: "Cumulative cpu time consumed in seconds.",
        labelKeys: ["container", "pod", "namespace"],
      },
      { name: "container_memory_working_set_bytes", help: "Current working set in bytes.", labelKeys: ["container", "pod", "namespace"] },
    ];
  }

  async podSandboxMetrics(sandbox: PodSandbox, containers: readonly Container[]): Promise<PodSandboxMetrics> {
    const now = this.clock.now();
    const labels = (c: Container) => [c.metadata.name, sandbox.metadata.name, sandbox.metadata.namespace];
    return {
      podSandboxId: sandbox.id,
      metrics: [],
      containerMetrics: containers.map((c) => {
        const s = this.one(c);
        return {
          containerId: c.id,
          metrics: [
            {
              name: "container_cpu_usage_seconds_total",
              timestamp: now,
              type: "COUNTER",
              labelValues: labels(c),
              value: (s.cpu?.usageCoreNanoSeconds ?? 0n) / 1_000_000_000n,
            },
            {
              name: "container_memory_working_set_bytes",
              timestamp: now,
              type: "GAUGE",
              labelValues: labels(c),
              value: s.memory?.workingSetBytes ?? 0n,
            },
          ],
        };
      }),
    };
  }

  private one(c: Container): ContainerStats {
    const now = this.clock.now();
    const running = c.state === ContainerState.Running;
    const end = running ? now : c.finishedAt;
    const ran = c.startedAt > 0n && end > c.startedAt ? end - c.startedAt : 0n;
    const memory = running ? 8n * MIB : 0n;
    return {
      id: c.id,
      podSandboxId: c.podSandboxId,
      metadata: c.metadata,
      labels: c.labels,
      annotations: c.annotations,
      cpu: { timestamp: now, usageCoreNanoSeconds: ran / 10n, usageNanoCores: running ? 100_000_000n : 0n },
      memory: {
        timestamp: now,
        workingSetBytes: memory,
        availableBytes: 0n,
        usageBytes: memory,
        rssBytes: memory / 2n,
        pageFaults: 0n,
        majorPageFaults: 0n,
      },
      writableLayer: { timestamp: now, mountpoint: "/var/lib/rktlet/data", usedBytes: 4096n, inodesUsed: 1n },
    };
  }
}
