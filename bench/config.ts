/**
 * How big the run is. The full run is what docs/performance.md reports; `--quick` (or RKTLET_BENCH_QUICK=1)
 * is a scaled-down run for developing the bench, written to bench/results/quick/.
 */
export interface BenchConfig {
  readonly quick: boolean;
  /** Where the results go under bench/results/: "" for the default full run, else a folder of their own. */
  readonly label: string;
  /** Container counts the read RPCs are measured at; above 1, pods of `containersPerPod` each. */
  readonly scales: readonly number[];
  readonly containersPerPod: number;
  /** Warm samples per RPC and scale (fewer, at least 20, when a call is so slow that they would take over 4 s). */
  readonly warmSamples: number;
  /** After-a-change samples per snapshot RPC and scale (each costs a CreateContainer and a RemoveContainer). */
  readonly changeSamples: number;
  /** Direct runs of each rkt command, per scale. */
  readonly directSamples: number;
  readonly throughputClients: number;
  readonly throughputSeconds: number;
  /** Sequential pod starts on a nearly empty node, and again at the largest scale. */
  readonly sequentialStarts: number;
  readonly parallelStarts: number;
  /** Concurrent CRI callers while building the pods, and while removing them at the end. */
  readonly setupWorkers: number;
}

const FULL: BenchConfig = {
  quick: false,
  label: "",
  scales: [1, 100, 400],
  containersPerPod: 4,
  warmSamples: 200,
  changeSamples: 10,
  directSamples: 12,
  throughputClients: 64,
  throughputSeconds: 2,
  sequentialStarts: 5,
  parallelStarts: 10,
  setupWorkers: 6,
};

const QUICK: BenchConfig = {
  ...FULL,
  quick: true,
  label: "quick",
  scales: [1, 8, 20],
  warmSamples: 30,
  changeSamples: 3,
  directSamples: 3,
  throughputSeconds: 1,
  sequentialStarts: 2,
  parallelStarts: 3,
};

/** `--quick`, and `--scales=1,100,400` to pick other container counts (multiples of 4 above 1). */
export function benchConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BenchConfig {
  let config = argv.includes("--quick") || env.RKTLET_BENCH_QUICK === "1" ? QUICK : FULL;
  for (const a of argv) {
    if (a === "--quick") continue;
    const scales = /^--scales=([\d,]+)$/.exec(a)?.[1];
    if (!scales) throw new Error(`unknown argument ${a} (known: --quick, --scales=1,100,400)`);
    const list = scales.split(",").map(Number);
    if (list.some((n, i) => !Number.isInteger(n) || n < 1 || (n > 1 && n % config.containersPerPod !== 0) || n <= (list[i - 1] ?? 0)))
      throw new Error(`--scales: container counts must grow, and be 1 or multiples of ${config.containersPerPod}`);
    config = { ...config, scales: list, label: `${config.quick ? "quick-" : ""}scales-${list.join("-")}` };
  }
  return config;
}
