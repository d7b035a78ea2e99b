import { notFound } from "../errors";
import { ContainerState } from "../model/container";
import { PodSandboxState } from "../model/pod-sandbox";
import type {
  ContainerStats,
  ContainerStatsFilter,
  MetricDescriptor,
  PodSandboxMetrics,
  PodSandboxStats,
  PodSandboxStatsFilter,
} from "../model/stats";
import type { StatsProvider } from "../ports/stats-provider";
import type { ContainerService } from "./containers";
import { filterContainers, filterSandboxes } from "./filters";
import type { PodSandboxService } from "./pod-sandboxes";
import { assertId } from "./rules";

/** Resource usage of containers and sandboxes, filtered the CRI way. */
export class StatsService {
  constructor(
    private readonly stats: StatsProvider,
    private readonly sandboxes: PodSandboxService,
    private readonly containers: ContainerService,
  ) {}

  async container(id: string): Promise<ContainerStats> {
    const c = await this.containers.status(id);
    const [stats] = await this.stats.containerStats([c]);
    if (!stats) throw notFound("container stats", id);
    return stats;
  }

  /** Stats of the running containers that match the filter. */
  async listContainers(filter?: ContainerStatsFilter): Promise<readonly ContainerStats[]> {
    const all = await this.containers.list({ state: ContainerState.Running });
    return this.stats.containerStats(filterContainers(all, filter));
  }

  async podSandbox(id: string): Promise<PodSandboxStats> {
    assertId("pod_sandbox_id", id);
    const { sandbox, containers } = await this.sandboxes.status(id);
    return this.stats.podSandboxStats(sandbox, containers);
  }

  /** Stats of the ready sandboxes that match the filter. */
  async listPodSandboxes(filter?: PodSandboxStatsFilter): Promise<readonly PodSandboxStats[]> {
    const sandboxes = filterSandboxes(await this.sandboxes.list({ state: PodSandboxState.Ready }), filter);
    const containers = await this.containers.list();
    return Promise.all(
      sandboxes.map((s) =>
        this.stats.podSandboxStats(
          s,
          containers.filter((c) => c.podSandboxId === s.id),
        ),
      ),
    );
  }

  async metricDescriptors(): Promise<readonly MetricDescriptor[]> {
    return this.stats.metricDescriptors();
  }

  async podSandboxMetrics(): Promise<readonly PodSandboxMetrics[]> {
    const sandboxes = await this.sandboxes.list({ state: PodSandboxState.Ready });
    const containers = await this.containers.list();
    return Promise.all(
      sandboxes.map((s) =>
        this.stats.podSandboxMetrics(
          s,
          containers.filter((c) => c.podSandboxId === s.id),
        ),
      ),
    );
  }
}
