/**
 * The rkt part of the daemon's Prometheus text: how many rkt processes ended and how long they ran, by
 * first subcommand word (`list`, `app`, `status`, `image`…). `app sandbox` is started as a unit, not
 * through the runner, so it never shows here.
 */
export interface RktTally {
  readonly count: Readonly<Record<string, number>>;
  /** Summed wall time of those processes, as the daemon timed them, in milliseconds. */
  readonly ms: Readonly<Record<string, number>>;
}

export const EMPTY_TALLY: RktTally = { count: {}, ms: {} };

const COUNT_LINE = /^rktlet_rkt_commands_total\{([^}]*)\} (\S+)$/;
const SUM_LINE = /^rktlet_rkt_command_duration_seconds_sum\{([^}]*)\} (\S+)$/;

function subcommandOf(labels: string): string {
  return /subcommand="([^"]*)"/.exec(labels)?.[1] ?? "?";
}

export function parseRktTally(text: string): RktTally {
  const count: Record<string, number> = {};
  const ms: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const c = COUNT_LINE.exec(line);
    if (c) {
      const sub = subcommandOf(c[1] ?? "");
      count[sub] = (count[sub] ?? 0) + Number(c[2]); // summed over results (ok, error, …)
      continue;
    }
    const s = SUM_LINE.exec(line);
    if (s) ms[subcommandOf(s[1] ?? "")] = Number(s[2]) * 1000;
  }
  return { count, ms };
}

/** What happened between two scrapes. */
export function tallyDiff(after: RktTally, before: RktTally): RktTally {
  const count: Record<string, number> = {};
  const ms: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.count)) {
    const d = v - (before.count[k] ?? 0);
    if (d !== 0) count[k] = d;
  }
  for (const [k, v] of Object.entries(after.ms)) {
    const d = v - (before.ms[k] ?? 0);
    if (d > 0 && count[k]) ms[k] = d;
  }
  return { count, ms };
}

export function tallyTotal(t: RktTally): number {
  return Object.values(t.count).reduce((a, b) => a + b, 0);
}

/** `list×1 app×2`, or `none`. */
export function tallyText(count: Readonly<Record<string, number>>): string {
  const parts = Object.entries(count)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}×${Math.round(n * 100) / 100}`);
  return parts.length > 0 ? parts.join(" ") : "none";
}

/** The value of an unlabelled sample (`name value`), e.g. prom-client's `nodejs_heap_size_used_bytes`. */
export function sampleValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
