/**
 * Per-RPC latency of the read RPCs kubelet calls all the time, in two conditions:
 *
 * - warm: served from a fresh `rkt list` snapshot. Calls run in short batches between two scrapes of
 *   the daemon's rkt counters; a batch during which any rkt process ran (a refresh by the one-second
 *   watch, or by a call that found the snapshot older than a second) is dropped and counted.
 * - after a change: the call right after a CreateContainer, which invalidates the snapshot, so the call
 *   pays for one `rkt list`. Each sample is bracketed by scrapes, which tell which rkt commands ran and
 *   how long the daemon saw them take.
 */
import type { CriClients } from "@rktlet/testkit";
import type { Daemon } from "./daemon";
import { tallyDiff, tallyTotal } from "./metrics";
import { type Percentiles, percentiles, timeMs } from "./stats";
import { containerConfig } from "./workload";

export const READ_RPCS = ["Version", "Status", "ListPodSandbox", "ListContainers", "ContainerStatus", "ListContainerStats"] as const;
export type ReadRpc = (typeof READ_RPCS)[number];
/** The RPCs answered from the snapshot; Version and Status never read it. */
export const SNAPSHOT_RPCS: readonly ReadRpc[] = ["ListPodSandbox", "ListContainers", "ContainerStatus", "ListContainerStats"];

export function readCall(c: CriClients, rpc: ReadRpc, containerId: string): () => Promise<unknown> {
  switch (rpc) {
    case "Version":
      return () => c.runtime.version({ version: "v1" });
    case "Status":
      return () => c.runtime.status({ verbose: false });
    case "ListPodSandbox":
      return () => c.runtime.listPodSandbox({ filter: undefined });
    case "ListContainers":
      return () => c.runtime.listContainers({ filter: undefined });
    case "ContainerStatus":
      return () => c.runtime.containerStatus({ containerId, verbose: false });
    case "ListContainerStats":
      return () => c.runtime.listContainerStats({ filter: undefined });
  }
}

export interface WarmResult extends Percentiles {
  readonly rpc: ReadRpc;
  readonly containers: number;
  /** Calls thrown away because an rkt process ran in their batch. */
  readonly dropped: number;
  /** rkt processes per kept call: 0 by construction, kept to show it. */
  readonly rktPerCall: number;
}

/** Aim for batches of about this long, so that few meet a snapshot refresh. */
const BATCH_MS = 100;
/** Slow calls (ListContainerStats with many containers) stop after this long, with at least MIN_WARM samples. */
const WARM_BUDGET_MS = 4000;
const MIN_WARM = 20;

export async function warmLatency(
  daemon: Daemon,
  c: CriClients,
  rpc: ReadRpc,
  containers: number,
  containerId: string,
  n: number,
): Promise<WarmResult> {
  const call = readCall(c, rpc, containerId);
  const one = await timeMs(call); // also warms the connection
  let batch = Math.max(1, Math.min(20, Math.floor(BATCH_MS / Math.max(one, 0.1))));
  const kept: number[] = [];
  let dropped = 0;
  const deadline = Date.now() + WARM_BUDGET_MS;
  while (kept.length < n && (kept.length < MIN_WARM || Date.now() < deadline)) {
    const size = Math.min(batch, n - kept.length);
    const before = await daemon.settledRktTally();
    const samples: number[] = [];
    for (let i = 0; i < size; i++) samples.push(await timeMs(call));
    const ran = tallyTotal(tallyDiff(await daemon.rktTally(), before));
    if (ran === 0) kept.push(...samples);
    else {
      dropped += samples.length;
      batch = Math.max(1, Math.floor(batch / 2));
    }
    if (dropped > 20 * n) throw new Error(`${rpc}: rkt keeps running during warm calls (${dropped} calls dropped)`);
  }
  return { rpc, containers, ...percentiles(kept), dropped, rktPerCall: 0 };
}

export interface ChangeSample {
  readonly ms: number;
  /** rkt processes that ended between the scrapes around CreateContainer + the call, by subcommand. */
  readonly rkt: Readonly<Record<string, number>>;
  /** The daemon's own timing of the `rkt list` it ran, when it ran exactly one. */
  readonly listMs: number | undefined;
  /** A direct `rkt list --format=json` by the bench right after the sample, for the overhead. */
  readonly directListMs: number;
}

export interface ChangeResult extends Percentiles {
  readonly rpc: ReadRpc;
  readonly containers: number;
  /** `rkt list` processes per call (CreateContainer's own `app add` and `image` commands left out). */
  readonly listsPerCall: number;
  readonly samples: readonly ChangeSample[];
}

/**
 * `n` samples of `rpc` right after a CreateContainer in `podId`. The new container is removed after each
 * sample (untimed), so the call sees the same number of containers every time: the caller makes room
 * for it. ContainerStatus asks about the new container.
 */
export async function afterChangeLatency(
  daemon: Daemon,
  c: CriClients,
  rpc: ReadRpc,
  containers: number,
  podId: string,
  n: number,
  directList: () => Promise<number>,
): Promise<ChangeResult> {
  const samples: ChangeSample[] = [];
  for (let i = 0; i < n; i++) {
    const before = await daemon.settledRktTally();
    const { containerId } = await c.runtime.createContainer({
      podSandboxId: podId,
      config: containerConfig(`churn-${rpc.toLowerCase()}-${i}`),
      sandboxConfig: undefined,
    });
    const ms = await timeMs(readCall(c, rpc, containerId));
    const d = tallyDiff(await daemon.rktTally(), before);
    const lists = d.count["list"] ?? 0;
    samples.push({ ms, rkt: d.count, listMs: lists === 1 ? d.ms["list"] : undefined, directListMs: await directList() });
    await c.runtime.removeContainer({ containerId });
  }
  const lists = samples.reduce((a, s) => a + (s.rkt["list"] ?? 0), 0) / samples.length;
  return { rpc, containers, ...percentiles(samples.map((s) => s.ms)), listsPerCall: lists, samples };
}
