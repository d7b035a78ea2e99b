/**
 * What rktlet adds on top of the rkt commands it runs. For each measured call: rktlet's latency, the rkt
 * commands the daemon ran for it (from its metrics), the same commands run directly by the bench, and
 * the difference. The simulator's own cost is not real rkt's; the difference is the part rktlet owns.
 */

import { tallyText } from "./metrics";
import type { SequentialPodStarts } from "./pod-start";
import type { ScaleResult } from "./results";
import { median } from "./stats";

export interface ReadOverhead {
  readonly rpc: string;
  readonly containers: number;
  readonly condition: "warm" | "after a change";
  readonly rktletP50: number;
  /** rkt processes per call, by subcommand (`none` when served from the snapshot). */
  readonly rktCommands: string;
  /** Median of the daemon's own timing of those commands, per call. */
  readonly daemonRktP50: number;
  /** Median of the same commands run directly by the bench, at the same scale, interleaved with the samples. */
  readonly directRktP50: number;
  /** rktletP50 − directRktP50. */
  readonly overheadP50: number;
  /** Median over samples of (call latency − the daemon's timing of its `rkt list`). */
  readonly overheadPairedP50: number | undefined;
}

export function readOverheads(scales: readonly ScaleResult[]): ReadOverhead[] {
  const rows: ReadOverhead[] = [];
  for (const s of scales) {
    for (const w of s.warm) {
      rows.push({
        rpc: w.rpc,
        containers: s.containers,
        condition: "warm",
        rktletP50: w.p50,
        rktCommands: "none",
        daemonRktP50: 0,
        directRktP50: 0,
        overheadP50: w.p50,
        overheadPairedP50: w.p50,
      });
    }
    for (const ch of s.change) {
      const direct = median(ch.samples.map((x) => x.directListMs));
      const paired = ch.samples.filter((x) => x.listMs !== undefined).map((x) => x.ms - (x.listMs as number));
      rows.push({
        rpc: ch.rpc,
        containers: s.containers,
        condition: "after a change",
        rktletP50: ch.p50,
        rktCommands: tallyText({ list: ch.listsPerCall }),
        daemonRktP50: round(median(ch.samples.filter((x) => x.listMs !== undefined).map((x) => x.listMs as number))),
        directRktP50: round(direct),
        overheadP50: round(ch.p50 - direct),
        overheadPairedP50: paired.length > 0 ? round(median(paired)) : undefined,
      });
    }
  }
  return rows;
}

export interface PodStartOverhead {
  readonly condition: string;
  readonly rktletP50: number;
  /** Median rkt processes per start, by subcommand, plus the sandbox unit. */
  readonly rktCommands: string;
  /** Median of the summed daemon timings of those processes (the sandbox's life excluded). */
  readonly daemonRktP50: number;
  /** The replay of every rkt command rktlet ran, including its `rkt list` refreshes. */
  readonly replaySameCommandsP50: number;
  /** The replay of only what a pod start needs from rkt: sandbox, ready, add and start. */
  readonly replayMinimalP50: number;
  readonly overheadVsSameCommandsP50: number;
  readonly overheadVsMinimalP50: number;
}

export function podStartOverhead(condition: string, r: SequentialPodStarts): PodStartOverhead {
  const summed = r.samples.map((s) => Object.values(s.rktMs).reduce((a, b) => a + b, 0));
  return {
    condition,
    rktletP50: r.rktlet.p50,
    rktCommands: `app sandbox×1 ${tallyText(r.rktPerStart)}`,
    daemonRktP50: round(median(summed)),
    replaySameCommandsP50: r.replaySame.p50,
    replayMinimalP50: r.replayMinimal.p50,
    overheadVsSameCommandsP50: round(r.rktlet.p50 - r.replaySame.p50),
    overheadVsMinimalP50: round(r.rktlet.p50 - r.replayMinimal.p50),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
