/**
 * Pod start: RunPodSandbox, then CreateContainer + StartContainer for each container in turn, timed
 * until the last StartContainer returns (the containers are then checked to be RUNNING, untimed). Each
 * sequential start is followed by two direct replays of its rkt work (see DirectRkt.replayPodStart):
 * the minimal one, and one that runs every rkt command rktlet ran on the call path.
 */
import type { CriClients } from "@rktlet/testkit";
import type { BenchDirs, Daemon } from "./daemon";
import { tallyDiff } from "./metrics";
import { type DirectRkt, sandboxTemplate } from "./rkt-direct";
import { median, type Percentiles, percentiles, timeMs } from "./stats";
import { assertRunning, type BenchPod, containerConfig, startPod } from "./workload";

export interface PodStartContext {
  readonly daemon: Daemon;
  readonly c: CriClients;
  readonly dirs: BenchDirs;
  readonly direct: DirectRkt;
  readonly imageId: string;
}

export interface PodStartSample {
  readonly ms: number;
  /** rkt processes the daemon ran during the start, by subcommand (`app sandbox` is a unit, not counted here). */
  readonly rkt: Readonly<Record<string, number>>;
  /** Their summed run time as the daemon timed them, by subcommand. */
  readonly rktMs: Readonly<Record<string, number>>;
  readonly replayMinimalMs: number;
  readonly replaySameMs: number;
}

export interface SequentialPodStarts {
  /** Pods running before the first start (each start adds one). */
  readonly podsBefore: number;
  readonly containersPerPod: number;
  readonly rktlet: Percentiles;
  readonly replayMinimal: Percentiles;
  readonly replaySame: Percentiles;
  /** Median count per pod start, by subcommand. */
  readonly rktPerStart: Readonly<Record<string, number>>;
  readonly samples: readonly PodStartSample[];
}

export function configsFor(containers: number) {
  return Array.from({ length: containers }, (_, j) => containerConfig(`c${j}`));
}

export async function sequentialPodStarts(
  ctx: PodStartContext,
  prefix: string,
  n: number,
  containers: number,
  podsBefore: number,
): Promise<{ result: SequentialPodStarts; pods: BenchPod[] }> {
  const { daemon, c, dirs, direct, imageId } = ctx;
  const samples: PodStartSample[] = [];
  const pods: BenchPod[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-${i}`;
    const before = await daemon.settledRktTally();
    const { pod, ms } = await startPod(c, dirs.logRoot, name, containers);
    const d = tallyDiff(await daemon.rktTally(), before);
    pods.push(pod);
    await assertRunning(c, pod);
    const template = await sandboxTemplate(dirs, pod.id, name);
    // alternate the order, so that neither replay always runs first
    const replay = async (same: boolean) => {
      const name = `${prefix}-r${same ? "s" : "m"}-${i}`;
      const p = await direct.replayPodStart(template, name, configsFor(containers), imageId, same, d.count["image"] ?? 0);
      await direct.removeReplayed(p);
      return p.ms;
    };
    const first = await replay(i % 2 === 1);
    const second = await replay(i % 2 === 0);
    samples.push({
      ms,
      rkt: d.count,
      rktMs: d.ms,
      replayMinimalMs: i % 2 === 1 ? second : first,
      replaySameMs: i % 2 === 1 ? first : second,
    });
  }
  const subs = new Set(samples.flatMap((s) => Object.keys(s.rkt)));
  const rktPerStart = Object.fromEntries([...subs].map((k) => [k, median(samples.map((s) => s.rkt[k] ?? 0))]));
  return {
    pods,
    result: {
      podsBefore,
      containersPerPod: containers,
      rktlet: percentiles(samples.map((s) => s.ms)),
      replayMinimal: percentiles(samples.map((s) => s.replayMinimalMs)),
      replaySame: percentiles(samples.map((s) => s.replaySameMs)),
      rktPerStart,
      samples,
    },
  };
}

export interface ParallelPodStarts {
  readonly podsBefore: number;
  readonly parallel: number;
  readonly containersPerPod: number;
  /** Each pod's own start latency. */
  readonly rktlet: Percentiles;
  /** From the first RunPodSandbox to the last StartContainer. */
  readonly rktletWallMs: number;
  /** rkt processes per start, averaged over the `n` starts (they share snapshot refreshes). */
  readonly rktPerStart: Readonly<Record<string, number>>;
  readonly replayMinimal: Percentiles;
  readonly replayMinimalWallMs: number;
}

/** `n` pod starts at once over one CRI connection (as kubelet's pod workers do), then `n` minimal replays at once. */
export async function parallelPodStarts(
  ctx: PodStartContext,
  prefix: string,
  n: number,
  containers: number,
  podsBefore: number,
): Promise<{ result: ParallelPodStarts; pods: BenchPod[] }> {
  const { daemon, c, dirs, direct, imageId } = ctx;
  let started: { pod: BenchPod; ms: number }[] = [];
  const before = await daemon.settledRktTally();
  const wall = await timeMs(async () => {
    started = await Promise.all(Array.from({ length: n }, (_, i) => startPod(c, dirs.logRoot, `${prefix}-${i}`, containers)));
  });
  const d = tallyDiff(await daemon.rktTally(), before);
  for (const s of started) await assertRunning(c, s.pod);
  const templates = await Promise.all(started.map((s) => sandboxTemplate(dirs, s.pod.id, s.pod.name)));
  let replays: Awaited<ReturnType<DirectRkt["replayPodStart"]>>[] = [];
  const replayWall = await timeMs(async () => {
    replays = await Promise.all(
      templates.map((t, i) => direct.replayPodStart(t, `${prefix}-rm-${i}`, configsFor(containers), imageId, false)),
    );
  });
  for (const r of replays) await direct.removeReplayed(r);
  return {
    pods: started.map((s) => s.pod),
    result: {
      podsBefore,
      parallel: n,
      containersPerPod: containers,
      rktlet: percentiles(started.map((s) => s.ms)),
      rktletWallMs: Math.round(wall),
      rktPerStart: Object.fromEntries(Object.entries(d.count).map(([k, v]) => [k, Math.round((v / n) * 10) / 10])),
      replayMinimal: percentiles(replays.map((r) => r.ms)),
      replayMinimalWallMs: Math.round(replayWall),
    },
  };
}
