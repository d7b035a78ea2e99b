import { cpus, loadavg, release, totalmem } from "node:os";

/** What the figures were measured on; the load averages say how busy the machine was. */
export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memGiB: number;
  readonly node: string;
  readonly kernel: string;
  readonly loadAvg: readonly number[];
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAvg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
