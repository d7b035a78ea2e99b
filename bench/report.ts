/**
 * The run's figures as markdown tables (printed, and written to tables.md so that docs/performance.md can
 * take them as they are) and as JSON, under bench/results/ (a folder of its own for a quick or resized run).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tallyText } from "./metrics";
import type { SuiteResult } from "./results";
import { SNAPSHOT_RPCS } from "./rpc-latency";
import type { Percentiles } from "./stats";

/** Milliseconds with about three significant digits. */
export function ms(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** A markdown table with padded columns, laid out as Biome formats markdown, so it can be pasted as it is. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${widths.map((w, i) => (cells[i] ?? "").padEnd(w)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function markdown(r: SuiteResult): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(
    `Run of ${r.startedAt} (${r.config.quick ? "quick" : "full"}, ${r.durationSeconds} s). Machine: ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, ` +
      `Node ${m.node}, Linux ${m.kernel}; load average (1/5/15 min) ${m.loadAvg.join(" / ")} at the start, ${r.loadAvgAtEnd.join(" / ")} at the end.`,
  );

  out.push("\n### Read RPCs: latency (ms) and rkt processes per call\n");
  const rpcRows: string[][] = [];
  const rpcs = r.scales[0]?.warm.map((w) => w.rpc) ?? [];
  for (const rpc of rpcs) {
    for (const s of r.scales) {
      const w = s.warm.find((x) => x.rpc === rpc);
      const ch = s.change.find((x) => x.rpc === rpc);
      rpcRows.push([
        rpc,
        String(s.containers),
        ms(w?.p50),
        ms(w?.p99),
        ch ? ms(ch.p50) : "–",
        ch ? ms(ch.p99) : "–",
        `${w?.rktPerCall ?? "–"} / ${ch ? tallyText({ list: ch.listsPerCall }) : "none (never reads rkt)"}`,
      ]);
    }
  }
  out.push(
    table(
      ["RPC", "containers", "warm p50", "warm p99", "after a change p50", "after a change p99", "rkt per call: warm / after a change"],
      rpcRows,
    ),
  );
  const slow = r.scales.flatMap((s) => s.warm.filter((w) => w.n < r.config.warmSamples).map((w) => `${w.rpc}@${s.containers}: ${w.n}`));
  const dropped = r.scales.flatMap((s) => s.warm.filter((w) => w.dropped > 0).map((w) => `${w.rpc}@${s.containers}: ${w.dropped}`));
  out.push(
    `\nWarm: ${r.config.warmSamples} calls per row (fewer for slow calls: ${slow.length > 0 ? slow.join(", ") : "none"}); calls in batches during which rkt ran were dropped${dropped.length > 0 ? ` (${dropped.join(", ")})` : " (none)"}. ` +
      `After a change: ${r.config.changeSamples} calls per row, each right after a CreateContainer.`,
  );

  out.push("\n### Pod start: RunPodSandbox until the last of its 4 containers is started (ms)\n");
  const ps = r.podStart;
  const startRow = (what: string, p: Percentiles, rkt: string) => [what, String(p.n), ms(p.p50), ms(p.p99), ms(p.max), rkt];
  out.push(
    table(
      ["pod start", "n", "p50", "p99", "max", "rkt processes per start"],
      [
        startRow("sequential, empty node", ps.emptyNode.rktlet, `app sandbox×1 ${tallyText(ps.emptyNode.rktPerStart)}`),
        startRow(
          `sequential, ${ps.atScale.podsBefore} pods running`,
          ps.atScale.rktlet,
          `app sandbox×1 ${tallyText(ps.atScale.rktPerStart)}`,
        ),
        startRow(
          `${ps.parallel.parallel} in parallel, ${ps.parallel.podsBefore} pods running (all done in ${ms(ps.parallel.rktletWallMs)})`,
          ps.parallel.rktlet,
          `app sandbox×1 ${tallyText(ps.parallel.rktPerStart)} (mean)`,
        ),
        startRow(
          `direct rkt replay, ${ps.parallel.parallel} in parallel (all done in ${ms(ps.parallel.replayMinimalWallMs)})`,
          ps.parallel.replayMinimal,
          `app sandbox×1 status×1 app×${2 * ps.parallel.containersPerPod}`,
        ),
      ],
    ),
  );

  const biggest = r.throughput[0]?.containers ?? 0;
  out.push(`\n### Throughput: ${r.throughput[0]?.clients ?? 0} concurrent clients, one RPC at a time, ${biggest} containers\n`);
  out.push(
    table(
      [
        "RPC",
        "calls/s",
        "latency p50",
        "latency p99",
        "errors",
        "rkt processes/s",
        "CPU ms per call: daemon / clients",
        "daemon after: RSS / peak / heap MiB",
      ],
      r.throughput.map((t) => [
        t.rpc,
        String(t.callsPerSecond),
        ms(t.latency.p50),
        ms(t.latency.p99),
        String(t.errors),
        String(t.rktPerSecond),
        `${ms(t.daemonCpuMsPerCall)} / ${ms(t.benchCpuMsPerCall)}`,
        `${t.daemonAfter.rssMiB} / ${t.daemonAfter.peakMiB} / ${t.daemonAfter.heapUsedMiB}`,
      ]),
    ),
  );

  out.push("\n### Daemon memory (the rktlet process only: /proc/PID/status)\n");
  out.push(
    table(
      ["when", "pods", "containers", "VmRSS MiB", "VmHWM (peak) MiB"],
      r.memory.map((x) => [x.when, String(x.pods), String(x.containers), String(x.memory.rssMiB), String(x.memory.peakMiB)]),
    ),
  );

  out.push("\n### Overhead: read RPCs after a change (ms)\n");
  out.push(
    table(
      [
        "RPC",
        "containers",
        "rktlet p50",
        "rkt it ran",
        "rkt as the daemon timed it p50",
        "same rkt run directly p50",
        "overhead p50",
        "overhead, paired p50",
      ],
      r.overhead.reads
        .filter((o) => o.condition === "after a change")
        .map((o) => [
          o.rpc,
          String(o.containers),
          ms(o.rktletP50),
          o.rktCommands,
          ms(o.daemonRktP50),
          ms(o.directRktP50),
          ms(o.overheadP50),
          ms(o.overheadPairedP50),
        ]),
    ),
  );
  out.push(
    `\nWarm calls run no rkt at all: their whole latency (first table) is rktlet's. ` +
      `Snapshot RPCs: ${SNAPSHOT_RPCS.join(", ")}; Version and Status never run rkt.`,
  );

  out.push("\n### Overhead: pod start (ms)\n");
  out.push(
    table(
      [
        "pod start",
        "rktlet p50",
        "rkt it ran per start",
        "rkt as the daemon timed it p50",
        "replay, same commands p50",
        "replay, minimal p50",
        "overhead vs same commands",
        "overhead vs minimal",
      ],
      r.overhead.podStart.map((o) => [
        o.condition,
        ms(o.rktletP50),
        o.rktCommands,
        ms(o.daemonRktP50),
        ms(o.replaySameCommandsP50),
        ms(o.replayMinimalP50),
        ms(o.overheadVsSameCommandsP50),
        ms(o.overheadVsMinimalP50),
      ]),
    ),
  );

  out.push("\n### The rkt simulator's own costs, run directly (p50, ms)\n");
  const scales = r.scales.map((s) => `${s.containers} container${s.containers === 1 ? "" : "s"}`);
  const direct = (name: string, pick: (s: SuiteResult["scales"][number]) => Percentiles) => [name, ...r.scales.map((s) => ms(pick(s).p50))];
  out.push(
    table(
      ["command", ...scales],
      [
        ["`rkt version`", ...r.scales.map(() => ms(r.directVersion.p50))],
        direct("`rkt list --format=json`", (s) => s.direct.list),
        direct("`rkt status <uuid> --format=json`", (s) => s.direct.status),
        direct("`rkt app status <uuid> --app=… --format=json`", (s) => s.direct.appStatus),
        direct("`rkt app list <uuid>`", (s) => s.direct.appList),
      ],
    ),
  );

  out.push("\n### Pod removal: RemovePodSandbox with 4 running containers (ms)\n");
  out.push(
    table(
      ["when", "pods", "p50", "p99", "max", "all done in", "rkt processes per pod"],
      r.removals.map((x) => [
        x.when,
        String(x.pods),
        ms(x.latency.p50),
        ms(x.latency.p99),
        ms(x.latency.max),
        ms(x.wallMs),
        tallyText(x.rktPerPod),
      ]),
    ),
  );
  return `${out.join("\n")}\n`;
}

export function printAndWrite(r: SuiteResult): void {
  const dir = join(__dirname, "..", "results", r.config.label);
  mkdirSync(dir, { recursive: true });
  const text = markdown(r);
  process.stdout.write(`\n${text}`);
  const head = { startedAt: r.startedAt, config: r.config, machine: r.machine, loadAvgAtEnd: r.loadAvgAtEnd };
  const parts: Record<string, unknown> = {
    suite: r,
    "rpc-latency": { ...head, directVersion: r.directVersion, scales: r.scales },
    "pod-start": { ...head, podStart: r.podStart, removals: r.removals },
    throughput: { ...head, throughput: r.throughput },
    memory: { ...head, memory: r.memory },
    overhead: { ...head, overhead: r.overhead },
  };
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  for (const [name, value] of Object.entries(parts)) writeFileSync(join(dir, `${name}.json`), json(value));
  writeFileSync(join(dir, "tables.md"), text);
  process.stdout.write(`\nWritten to ${dir}/ (suite.json, one JSON per part, tables.md)\n`);
}
