import { ContainerState, type CriRuntime, PodSandboxState } from "@rktlet/core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RpcKind, RpcObserver } from "../grpc/rpc-runner";
import type { Logger } from "../logging";

/** CRI calls range from a map lookup (ListContainers) to an image pull. */
const CRI_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** An rkt process costs at least tens of milliseconds; fetches and stops take up to minutes. */
const RKT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The states as the CRI names them, so a dashboard reads the same words kubelet and crictl use. */
const SANDBOX_STATE_LABEL: Record<PodSandboxState, string> = {
  [PodSandboxState.Ready]: "SANDBOX_READY",
  [PodSandboxState.NotReady]: "SANDBOX_NOTREADY",
};
const CONTAINER_STATE_LABEL: Record<ContainerState, string> = {
  [ContainerState.Created]: "CONTAINER_CREATED",
  [ContainerState.Running]: "CONTAINER_RUNNING",
  [ContainerState.Exited]: "CONTAINER_EXITED",
  [ContainerState.Unknown]: "CONTAINER_UNKNOWN",
};

/** What RktRunner tells its `onCommand` observer (typed by shape, so this package needs no adapter import). */
export interface RktCommand {
  readonly subcommand: string;
  readonly ms: number;
  readonly exitCode: number;
  readonly timedOut: boolean;
}

/** How an rkt process ended, as a label with a handful of values. */
export function rktResult(c: Pick<RktCommand, "exitCode" | "timedOut">): "ok" | "error" | "timeout" | "killed" {
  if (c.timedOut) return "timeout";
  if (c.exitCode === 0) return "ok";
  return c.exitCode > 0 ? "error" : "killed"; // -1: killed by a signal, or could not be started
}

export interface DaemonMetricsOptions {
  /** The runtime whose pods and containers are counted at scrape time (none yet: no state gauges). */
  readonly runtime: () => CriRuntime | undefined;
  readonly logger: Logger;
  readonly version: string;
  readonly backend: string;
  /** process_* and nodejs_* metrics from prom-client's default collectors (default true). */
  readonly processMetrics?: boolean;
}

/**
 * Every metric the daemon exports, in a registry of its own (never prom-client's global one). RPCs and rkt
 * commands are counted as they happen; pods and containers by state are read from the runtime at scrape time.
 */
export class DaemonMetrics implements RpcObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<"method" | "code">;
  private readonly durations: Histogram<"method">;
  private readonly inFlight: Gauge<"method">;
  private readonly rktCommands: Counter<"subcommand" | "result">;
  private readonly rktDurations: Histogram<"subcommand">;
  private readonly stateErrors: Counter<"collector">;

  constructor(private readonly options: DaemonMetricsOptions) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "rktlet_cri_requests_total",
      help: "CRI RPCs handled, by full gRPC method and gRPC status code. Streaming RPCs are counted when they end.",
      labelNames: ["method", "code"],
      registers,
    });
    this.durations = new Histogram({
      name: "rktlet_cri_request_duration_seconds",
      help: "How long unary CRI RPCs took, by full gRPC method (streams are left out: their length is the client's choice).",
      labelNames: ["method"],
      buckets: CRI_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: "rktlet_cri_requests_in_flight",
      help: "CRI RPCs being handled now, open streams (such as GetContainerEvents) included.",
      labelNames: ["method"],
      registers,
    });
    this.rktCommands = new Counter({
      name: "rktlet_rkt_commands_total",
      help: "rkt processes that ended, by first subcommand word and result (ok, error: non-zero exit, timeout, killed: a signal or could not start).",
      labelNames: ["subcommand", "result"],
      registers,
    });
    this.rktDurations = new Histogram({
      name: "rktlet_rkt_command_duration_seconds",
      help: "How long rkt processes ran, by first subcommand word (interactive exec sessions included).",
      labelNames: ["subcommand"],
      buckets: RKT_BUCKETS,
      registers,
    });
    this.stateErrors = new Counter({
      name: "rktlet_state_scrape_errors_total",
      help: "Scrapes where pods or containers could not be listed; their state gauges are left out of that scrape.",
      labelNames: ["collector"],
      registers,
    });
    const sandboxes: Gauge<"state"> = new Gauge({
      name: "rktlet_pod_sandboxes",
      help: "Pod sandboxes by CRI state, read at scrape time.",
      labelNames: ["state"],
      registers,
      collect: () =>
        this.countByState(sandboxes, "pod_sandboxes", SANDBOX_STATE_LABEL, () => listed(options.runtime, (r) => r.sandboxes.list())),
    });
    const containers: Gauge<"state"> = new Gauge({
      name: "rktlet_containers",
      help: "Containers by CRI state, read at scrape time.",
      labelNames: ["state"],
      registers,
      collect: () =>
        this.countByState(containers, "containers", CONTAINER_STATE_LABEL, () => listed(options.runtime, (r) => r.containers.list())),
    });
    new Gauge({
      name: "rktlet_build_info",
      help: "Always 1; the labels say which rktlet this is and which backend it runs.",
      labelNames: ["version", "backend"],
      registers,
    }).set({ version: options.version, backend: options.backend }, 1);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  rpcStarted(method: string, _kind: RpcKind): void {
    this.inFlight.inc({ method });
  }

  rpcFinished(method: string, kind: RpcKind, code: string, seconds: number): void {
    this.inFlight.dec({ method });
    this.requests.inc({ method, code });
    if (kind === "unary") this.durations.observe({ method }, seconds);
  }

  /** RktRunner's onCommand. */
  rktCommand(c: RktCommand): void {
    this.rktCommands.inc({ subcommand: c.subcommand, result: rktResult(c) });
    this.rktDurations.observe({ subcommand: c.subcommand }, c.ms / 1000);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async countByState<S extends string>(
    gauge: Gauge<"state">,
    collector: string,
    labels: Record<S, string>,
    list: () => Promise<readonly { state: S }[]>,
  ): Promise<void> {
    gauge.reset();
    let items: readonly { state: S }[];
    try {
      items = await list();
    } catch (err) {
      this.stateErrors.inc({ collector });
      this.options.logger.warn({ err: err instanceof Error ? err.message : String(err), collector }, "metrics: listing failed");
      return;
    }
    // every state is always there, at 0 when nothing is in it
    const counts = new Map<string, number>(Object.values<string>(labels).map((l) => [l, 0]));
    for (const item of items) {
      const label = labels[item.state] ?? `UNEXPECTED_${item.state}`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    for (const [state, n] of counts) gauge.set({ state }, n);
  }
}

/** A list from the runtime, or nothing before the runtime exists. */
async function listed<T>(runtime: () => CriRuntime | undefined, list: (r: CriRuntime) => Promise<readonly T[]>): Promise<readonly T[]> {
  const r = runtime();
  return r ? list(r) : [];
}
