import type { Container } from "../model/container";
import type { PodSandbox } from "../model/pod-sandbox";
import type { ContainerStats, MetricDescriptor, PodSandboxMetrics, PodSandboxStats } from "../model/stats";

/** Reads resource usage. Hot path: read kernel files, never a process per object. */
export interface StatsProvider {
  containerStats(containers: readonly Container[]): Promise<readonly ContainerStats[]>;
  podSandboxStats(sandbox: PodSandbox, containers: readonly Container[]): Promise<PodSandboxStats>;
  metricDescriptors(): Promise<readonly MetricDescriptor[]>;
  podSandboxMetrics(sandbox: PodSandbox, containers: readonly Container[]): Promise<PodSandboxMetrics>;
}
