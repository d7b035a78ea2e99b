import type {
  Container,
  ContainerStats,
  MetricDescriptor,
  PodSandbox,
  PodSandboxMetrics,
  PodSandboxStats,
  StatsProvider,
} from "@rktlet/core";

/**
 * Stats of rkt pods. Usage numbers (CPU, memory, network) come from the pods' cgroups and network
 * namespaces, which is separate work; until then this answers with the attributes and no usage, which
 * kubelet reads as "unknown" rather than as zero.
 */
export class RktStatsProvider implements StatsProvider {
  async containerStats(containers: readonly Container[]): Promise<readonly ContainerStats[]> {
    return containers.map((c) => ({
      id: c.id,
      podSandboxId: c.podSandboxId,
      metadata: c.metadata,
      labels: c.labels,
      annotations: c.annotations,
      cpu: undefined,
      memory: undefined,
      writableLayer: undefined,
    }));
  }

  async podSandboxStats(sandbox: PodSandbox, containers: readonly Container[]): Promise<PodSandboxStats> {
    return {
      id: sandbox.id,
      metadata: sandbox.metadata,
      labels: sandbox.labels,
      annotations: sandbox.annotations,
      cpu: undefined,
      memory: undefined,
      network: undefined,
      process: undefined,
      containers: await this.containerStats(containers),
    };
  }

  async metricDescriptors(): Promise<readonly MetricDescriptor[]> {
    return [];
  }

  async podSandboxMetrics(sandbox: PodSandbox, _containers: readonly Container[]): Promise<PodSandboxMetrics> {
    return { podSandboxId: sandbox.id, metrics: [], containerMetrics: [] };
  }
}
