/**
 * Calls per second with many clients at once, one read RPC at a time: each client has a gRPC connection
 * of its own (a local subchannel pool, so grpc-js does not share one connection) and calls back to back
 * for the whole window. The clients all run in the bench's one Node process, on the same machine as the
 * daemon, so on a small machine this is a lower bound of what the daemon could serve.
 */
import { type CriClients, connectCriClients } from "@rktlet/testkit";
import type { Daemon, Memory } from "./daemon";
import { tallyDiff } from "./metrics";
import { type ReadRpc, readCall } from "./rpc-latency";
import { type Percentiles, percentiles } from "./stats";

export interface ThroughputResult {
  readonly rpc: ReadRpc;
  readonly clients: number;
  readonly containers: number;
  readonly seconds: number;
  readonly calls: number;
  readonly errors: number;
  readonly callsPerSecond: number;
  /** Latency of each call under that load. */
  readonly latency: Percentiles;
  /** rkt processes the daemon ran per second meanwhile (snapshot refreshes, the watch's included). */
  readonly rktPerSecond: number;
  /** CPU time per call: the daemon's (from /proc), and the bench's own clients' (same machine, same cores). */
  readonly daemonCpuMsPerCall: number;
  readonly benchCpuMsPerCall: number;
  /** The daemon right after this RPC's run. */
  readonly daemonAfter: Memory & { readonly heapUsedMiB: number };
}

export function connectClients(socket: string, n: number): CriClients[] {
  return Array.from({ length: n }, () => connectCriClients(socket, { "grpc.use_local_subchannel_pool": 1 }));
}

/** Version calls on every connection for a moment: connections up, code paths compiled on both sides, before any figure. */
export async function warmUp(clients: readonly CriClients[], seconds: number): Promise<void> {
  await load(
    clients.map((c) => readCall(c, "Version", "")),
    seconds,
  );
}

export async function throughput(
  daemon: Daemon,
  clients: readonly CriClients[],
  rpc: ReadRpc,
  containers: number,
  containerId: string,
  seconds: number,
): Promise<ThroughputResult> {
  const calls = clients.map((c) => readCall(c, rpc, containerId));
  const before = await daemon.rktTally();
  const cpuBefore = daemon.cpuMs();
  const benchBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const { latencies, errors } = await load(calls, seconds);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const bench = process.cpuUsage(benchBefore);
  const daemonCpu = daemon.cpuMs() - cpuBefore;
  const d = tallyDiff(await daemon.rktTally(), before);
  const ran = Object.values(d.count).reduce((a, b) => a + b, 0);
  return {
    rpc,
    clients: clients.length,
    containers,
    seconds: Math.round(elapsed * 100) / 100,
    calls: latencies.length,
    errors,
    callsPerSecond: Math.round(latencies.length / elapsed),
    latency: percentiles(latencies),
    rktPerSecond: Math.round((ran / elapsed) * 10) / 10,
    daemonCpuMsPerCall: perCall(daemonCpu, latencies.length),
    benchCpuMsPerCall: perCall((bench.user + bench.system) / 1000, latencies.length),
    daemonAfter: { ...daemon.memory(), heapUsedMiB: await daemon.heapUsedMiB() },
  };
}

function perCall(ms: number, calls: number): number {
  return calls > 0 ? Math.round((ms / calls) * 1000) / 1000 : Number.NaN;
}

/** Every client calls back to back until `seconds` have passed (a call under way then is finished and counted). */
async function load(calls: readonly (() => Promise<unknown>)[], seconds: number): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    calls.map(async (call) => {
      for (let t = process.hrtime.bigint(); t < end; t = process.hrtime.bigint()) {
        try {
          await call();
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { latencies, errors };
}
