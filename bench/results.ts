/** The shape of one run's figures, as written to bench/results/suite.json. */
import type { BenchConfig } from "./config";
import type { Memory } from "./daemon";
import type { Machine } from "./machine";
import type { PodStartOverhead, ReadOverhead } from "./overhead";
import type { ParallelPodStarts, SequentialPodStarts } from "./pod-start";
import type { ChangeResult, WarmResult } from "./rpc-latency";
import type { Percentiles } from "./stats";
import type { ThroughputResult } from "./throughput";

export interface DirectCosts {
  /** `rkt list --format=json`: every pod with its apps (what a snapshot refresh runs). */
  readonly list: Percentiles;
  /** `rkt status <uuid> --format=json`: one pod. */
  readonly status: Percentiles;
  /** `rkt app status <uuid> --app=<app> --format=json`: one app, exact (what the original rktlet ran per container). */
  readonly appStatus: Percentiles;
  /** `rkt app list <uuid>`: the apps of one pod, text. */
  readonly appList: Percentiles;
}

export interface ScaleResult {
  readonly containers: number;
  readonly pods: number;
  readonly warm: readonly WarmResult[];
  readonly change: readonly ChangeResult[];
  readonly direct: DirectCosts;
}

export interface MemoryAt {
  readonly when: string;
  readonly pods: number;
  readonly containers: number;
  readonly memory: Memory;
}

export interface Removal {
  readonly when: string;
  readonly pods: number;
  readonly workers: number;
  readonly latency: Percentiles;
  readonly wallMs: number;
  /** rkt processes per removed pod (mean; removals done side by side share snapshot refreshes). */
  readonly rktPerPod: Readonly<Record<string, number>>;
}

export interface SuiteResult {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly config: BenchConfig;
  readonly machine: Machine;
  readonly loadAvgAtEnd: readonly number[];
  readonly memory: readonly MemoryAt[];
  /** `rkt version`, the process floor (the daemon asks once, at start-up). */
  readonly directVersion: Percentiles;
  readonly scales: readonly ScaleResult[];
  readonly podStart: {
    readonly emptyNode: SequentialPodStarts;
    readonly atScale: SequentialPodStarts;
    readonly parallel: ParallelPodStarts;
  };
  readonly throughput: readonly ThroughputResult[];
  readonly removals: readonly Removal[];
  readonly overhead: { readonly reads: readonly ReadOverhead[]; readonly podStart: readonly PodStartOverhead[] };
}
