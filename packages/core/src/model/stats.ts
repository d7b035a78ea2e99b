import type { Nanos, StringMap } from "./common";
import type { ContainerMetadata } from "./container";
import type { FilesystemUsage } from "./image";
import type { PodSandboxMetadata } from "./pod-sandbox";

export interface CpuUsage {
  readonly timestamp: Nanos;
  /** Cumulative CPU time, in nanoseconds. */
  readonly usageCoreNanoSeconds: bigint;
  /** Average over the last sampling window, in billionths of a core. */
  readonly usageNanoCores: bigint;
}

export interface MemoryUsage {
  readonly timestamp: Nanos;
  readonly workingSetBytes: bigint;
  readonly availableBytes: bigint;
  readonly usageBytes: bigint;
  readonly rssBytes: bigint;
  readonly pageFaults: bigint;
  readonly majorPageFaults: bigint;
}

export interface NetworkInterfaceUsage {
  readonly name: string;
  readonly rxBytes: bigint;
  readonly rxErrors: bigint;
  readonly txBytes: bigint;
  readonly txErrors: bigint;
}

export interface NetworkUsage {
  readonly timestamp: Nanos;
  readonly defaultInterface: NetworkInterfaceUsage | undefined;
  readonly interfaces: readonly NetworkInterfaceUsage[];
}

export interface ProcessUsage {
  readonly timestamp: Nanos;
  readonly processCount: bigint;
}

export interface ContainerStats {
  readonly id: string;
  readonly podSandboxId: string;
  readonly metadata: ContainerMetadata;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly cpu: CpuUsage | undefined;
  readonly memory: MemoryUsage | undefined;
  readonly writableLayer: FilesystemUsage | undefined;
}

export interface PodSandboxStats {
  readonly id: string;
  readonly metadata: PodSandboxMetadata;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly cpu: CpuUsage | undefined;
  readonly memory: MemoryUsage | undefined;
  readonly network: NetworkUsage | undefined;
  readonly process: ProcessUsage | undefined;
  readonly containers: readonly ContainerStats[];
}

export interface ContainerStatsFilter {
  readonly id?: string | undefined;
  readonly podSandboxId?: string | undefined;
  readonly labelSelector?: StringMap | undefined;
}

export interface PodSandboxStatsFilter {
  readonly id?: string | undefined;
  readonly labelSelector?: StringMap | undefined;
}

export interface MetricDescriptor {
  readonly name: string;
  readonly help: string;
  readonly labelKeys: readonly string[];
}

export interface Metric {
  readonly name: string;
  readonly timestamp: Nanos;
  readonly type: "COUNTER" | "GAUGE";
  readonly labelValues: readonly string[];
  readonly value: bigint;
}

export interface PodSandboxMetrics {
  readonly podSandboxId: string;
  readonly metrics: readonly Metric[];
  readonly containerMetrics: readonly { readonly containerId: string; readonly metrics: readonly Metric[] }[];
}
