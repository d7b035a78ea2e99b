/**
 * rktlet's benchmark suite, in one run: the built daemon as a separate process on the rkt simulator,
 * driven over its CRI socket. See docs/performance.md for what each figure means.
 *
 *   npm run bench [-- --quick | --scales=1,100,400]
 */
import "reflect-metadata";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { type CriClients, connectCriClients, rktSimPath } from "@rktlet/testkit";
import { benchConfig } from "./config";
import { benchDirs, Daemon } from "./daemon";
import { machine } from "./machine";
import { tallyDiff } from "./metrics";
import { podStartOverhead, readOverheads } from "./overhead";
import { type PodStartContext, parallelPodStarts, sequentialPodStarts } from "./pod-start";
import { printAndWrite } from "./report";
import type { DirectCosts, MemoryAt, Removal, ScaleResult, SuiteResult } from "./results";
import { DirectRkt } from "./rkt-direct";
import { afterChangeLatency, READ_RPCS, SNAPSHOT_RPCS, warmLatency } from "./rpc-latency";
import { percentiles, timeMs } from "./stats";
import { connectClients, type ThroughputResult, throughput, warmUp } from "./throughput";
import { addContainer, type BenchPod, inParallel, pullImage, removeAllPods, removePods, runPod } from "./workload";

const containersText = (n: number) => `${n} container${n === 1 ? "" : "s"}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const progress = (what: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${what}\n`);

async function main(): Promise<void> {
  const config = benchConfig(process.argv.slice(2), process.env);
  const startedAt = new Date().toISOString();
  const host = machine();
  const dirs = benchDirs(mkdtempSync(join(tmpdir(), "rktlet-bench-")));
  mkdirSync(dirs.logRoot, { recursive: true });
  const rktPath = rktSimPath();
  const direct = new DirectRkt(dirs, rktPath);
  let daemon: Daemon | undefined;
  let c: CriClients | undefined;
  let many: CriClients[] = [];
  const world: BenchPod[] = [];

  // Pods outlive the daemon by design: take them down through CRI while it still runs, then stop
  // whatever unit is left (the daemon's and the replays'), then the files.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const x of many) x.close();
      if (daemon?.running && c) await removeAllPods(c, config.setupWorkers).catch((err: Error) => progress(`cleanup: ${err.message}`));
      c?.close();
      await daemon?.stop();
      await direct.stopLeftovers().catch(() => undefined);
      const units = new ProcessUnitManager({ stateDir: join(dirs.stateDir, "units") });
      for (const u of await units.list().catch(() => [])) await units.stop(u.name, 3000).catch(() => undefined);
      rmSync(dirs.root, { recursive: true, force: true });
    })());
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      progress(`${signal}: removing the pods and stopping the daemon`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    progress(`${config.quick ? "quick" : "full"} run: starting rktlet (${dirs.root})`);
    daemon = await Daemon.start(dirs, rktPath);
    c = connectCriClients(dirs.socket);
    const memory: MemoryAt[] = [];
    const containerCount = () => world.reduce((a, p) => a + p.containerIds.length, 0);
    const remember = async (when: string, pods = world.length, containers = containerCount()) => {
      await sleep(1000); // let the start-up or the last burst of calls settle
      memory.push({ when, pods, containers, memory: (daemon as Daemon).memory() });
    };
    await remember("idle, no pods");

    const imageId = await pullImage(c, "busybox");
    const ctx: PodStartContext = { daemon, c, dirs, direct, imageId };
    const perPod = config.containersPerPod;
    const directVersion = percentiles(await direct.runMany(config.directSamples, "version", []));

    progress(`pod start on an empty node: ${config.sequentialStarts} sequential, each with 2 direct replays`);
    const empty = await sequentialPodStarts(ctx, "empty", config.sequentialStarts, perPod, 0);
    const emptyRemoval = await timedRemoval(
      "empty node, one at a time",
      empty.pods.map((p) => p.id),
      1,
    );

    const growTo = async (containers: number) => {
      const cl = c as CriClients;
      if (world.length === 0) {
        const p0 = await runPod(cl, dirs.logRoot, "p0");
        world.push(p0);
      }
      if (containers === 1) {
        while (containerCount() < 1) await addContainer(cl, world[0] as BenchPod, "c0");
        return;
      }
      if (containers % perPod !== 0) throw new Error(`scale ${containers} is not a multiple of ${perPod} containers per pod`);
      const topUp = async (p: BenchPod) => {
        while (p.containerIds.length < perPod) await addContainer(cl, p, `c${p.containerIds.length}`);
      };
      for (const p of world) await topUp(p);
      const missing = containers / perPod - world.length;
      const names = Array.from({ length: missing }, (_, i) => `p${world.length + i}`);
      const added = await inParallel(names, config.setupWorkers, async (name) => {
        const p = await runPod(cl, dirs.logRoot, name);
        await topUp(p);
        return p;
      });
      world.push(...added);
    };

    const scales: ScaleResult[] = [];
    for (const containers of config.scales) {
      progress(`building ${containersText(containers)}`);
      await growTo(containers);
      await remember(`${containersText(containers)}, running`);
      progress(`read RPCs at ${containersText(containers)} (${world.length} pods)`);
      scales.push(await measureScale(containers));
    }

    const biggest = config.scales[config.scales.length - 1] as number;
    const podsAtScale = world.length;
    progress(`pod start at ${podsAtScale} pods: ${config.sequentialStarts} sequential with replays, ${config.parallelStarts} in parallel`);
    const atScale = await sequentialPodStarts(ctx, "seq", config.sequentialStarts, perPod, podsAtScale);
    const parallel = await parallelPodStarts(ctx, "par", config.parallelStarts, perPod, podsAtScale + atScale.pods.length);
    const extra = [...atScale.pods, ...parallel.pods];
    await remember("after the pod starts", podsAtScale + extra.length, containerCount() + extra.length * perPod);
    // back to the largest scale for the throughput runs; these removals are measured too
    const extraRemoval = await timedRemoval(
      `${podsAtScale + extra.length} pods, the last ${extra.length} removed ${config.setupWorkers} at a time`,
      extra.map((p) => p.id),
    );

    const target = (world[0] as BenchPod).containerIds[0] as string;
    progress(`throughput: ${config.throughputClients} clients, ${config.throughputSeconds} s per RPC`);
    many = connectClients(dirs.socket, config.throughputClients);
    await warmUp(many, 1);
    const rates: ThroughputResult[] = [];
    for (const rpc of READ_RPCS) rates.push(await throughput(daemon, many, rpc, biggest, target, config.throughputSeconds));
    for (const x of many) x.close();
    many = [];
    await remember(`${biggest} containers, after the throughput runs`);

    progress(`removing ${world.length} pods through CRI, ${config.setupWorkers} at a time`);
    const finalRemoval = await timedRemoval(
      `${world.length} pods, all removed ${config.setupWorkers} at a time`,
      world.map((p) => p.id),
    );
    world.length = 0;
    const removals: Removal[] = [emptyRemoval, extraRemoval, finalRemoval];

    const result: SuiteResult = {
      startedAt,
      durationSeconds: Math.round((Date.now() - t0) / 1000),
      config,
      machine: host,
      loadAvgAtEnd: machine().loadAvg,
      memory,
      directVersion,
      scales,
      podStart: { emptyNode: empty.result, atScale: atScale.result, parallel: parallel.result },
      throughput: rates,
      removals,
      overhead: {
        reads: readOverheads(scales),
        podStart: [
          podStartOverhead("empty node", empty.result),
          podStartOverhead(`${atScale.result.podsBefore} pods running`, atScale.result),
        ],
      },
    };
    await cleanup();
    progress("done");
    printAndWrite(result);
  } catch (err) {
    if (daemon) process.stderr.write(`rktlet's last output:\n${daemon.logTail().slice(-4000)}\n`);
    throw err;
  } finally {
    await cleanup();
  }

  async function timedRemoval(when: string, ids: readonly string[], workers = config.setupWorkers): Promise<Removal> {
    let latencies: number[] = [];
    const before = await (daemon as Daemon).settledRktTally();
    const wallMs = await timeMs(async () => {
      latencies = await removePods(c as CriClients, ids, workers);
    });
    const d = tallyDiff(await (daemon as Daemon).rktTally(), before);
    const rktPerPod = Object.fromEntries(Object.entries(d.count).map(([k, v]) => [k, Math.round((v / ids.length) * 10) / 10]));
    return { when, pods: ids.length, workers, latency: percentiles(latencies), wallMs: Math.round(wallMs), rktPerPod };
  }

  async function measureScale(containers: number): Promise<ScaleResult> {
    const d = daemon as Daemon;
    const cl = c as CriClients;
    const pod0 = world[0] as BenchPod;
    const target = pod0.containerIds[0] as string;
    const [uuid, app] = target.split(":") as [string, string];
    const n = config.directSamples;
    const directCosts: Omit<DirectCosts, "list"> = {
      status: percentiles(await direct.runMany(n, "status", [uuid, "--format=json"])),
      appStatus: percentiles(await direct.runMany(n, "app", ["status", uuid, `--app=${app}`, "--format=json"])),
      appList: percentiles(await direct.runMany(n, "app", ["list", uuid])),
    };
    const warm = [];
    for (const rpc of READ_RPCS) warm.push(await warmLatency(d, cl, rpc, containers, target, config.warmSamples));

    // room for the container each after-a-change sample creates, so every call sees `containers`
    const last = world[world.length - 1] as BenchPod;
    const victim = last.containerIds.pop() as string;
    await cl.runtime.removeContainer({ containerId: victim });
    const change = [];
    const directLists: number[] = [];
    const directList = async () => {
      const ms = await direct.run("list", ["--format=json"]);
      directLists.push(ms);
      return ms;
    };
    for (const rpc of SNAPSHOT_RPCS)
      change.push(await afterChangeLatency(d, cl, rpc, containers, last.id, config.changeSamples, directList));
    await addContainer(cl, last, `r${containers}`);
    return { containers, pods: world.length, warm, change, direct: { list: percentiles(directLists), ...directCosts } };
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
