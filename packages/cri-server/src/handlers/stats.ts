import type { ServerWritableStream } from "@grpc/grpc-js";
import type { CriRuntime } from "@rktlet/core";
import type * as api from "@rktlet/cri-api";
import { inject, injectable } from "tsyringe";
import { nonEmpty, selector } from "../convert/to-domain";
import { containerStats, metricDescriptor, podSandboxMetrics, podSandboxStats } from "../convert/to-proto";
import { writeInBatches } from "../grpc/batches";
import { containerIdRequest, podSandboxIdRequest, statsFilterRequest, validate } from "../grpc/validation";
import { TOKENS } from "../tokens";

/** Container and pod sandbox stats (unary, list and stream forms) and pod metrics. */
@injectable()
export class StatsHandlers {
  constructor(@inject(TOKENS.Runtime) private readonly runtime: CriRuntime) {}

  async containerStats(req: api.ContainerStatsRequest): Promise<api.ContainerStatsResponse> {
    validate(containerIdRequest, req);
    return { stats: containerStats(await this.runtime.stats.container(req.containerId)) };
  }

  async listContainerStats(req: api.ListContainerStatsRequest): Promise<api.ListContainerStatsResponse> {
    return { stats: (await this.containers(req.filter)).map(containerStats) };
  }

  async streamContainerStats(call: ServerWritableStream<api.StreamContainerStatsRequest, api.StreamContainerStatsResponse>): Promise<void> {
    const items = (await this.containers(call.request.filter)).map(containerStats);
    await writeInBatches(call, items, (batch) => ({ containerStats: batch }));
  }

  async podSandboxStats(req: api.PodSandboxStatsRequest): Promise<api.PodSandboxStatsResponse> {
    validate(podSandboxIdRequest, req);
    return { stats: podSandboxStats(await this.runtime.stats.podSandbox(req.podSandboxId)) };
  }

  async listPodSandboxStats(req: api.ListPodSandboxStatsRequest): Promise<api.ListPodSandboxStatsResponse> {
    return { stats: (await this.sandboxes(req.filter)).map(podSandboxStats) };
  }

  async streamPodSandboxStats(
    call: ServerWritableStream<api.StreamPodSandboxStatsRequest, api.StreamPodSandboxStatsResponse>,
  ): Promise<void> {
    const items = (await this.sandboxes(call.request.filter)).map(podSandboxStats);
    await writeInBatches(call, items, (batch) => ({ podSandboxStats: batch }));
  }

  async listMetricDescriptors(_req: api.ListMetricDescriptorsRequest): Promise<api.ListMetricDescriptorsResponse> {
    return { descriptors: (await this.runtime.stats.metricDescriptors()).map(metricDescriptor) };
  }

  async listPodSandboxMetrics(_req: api.ListPodSandboxMetricsRequest): Promise<api.ListPodSandboxMetricsResponse> {
    return { podMetrics: (await this.runtime.stats.podSandboxMetrics()).map(podSandboxMetrics) };
  }

  async streamPodSandboxMetrics(
    call: ServerWritableStream<api.StreamPodSandboxMetricsRequest, api.StreamPodSandboxMetricsResponse>,
  ): Promise<void> {
    const items = (await this.runtime.stats.podSandboxMetrics()).map(podSandboxMetrics);
    await writeInBatches(call, items, (batch) => ({ podSandboxMetrics: batch }));
  }

  private containers(filter: api.ContainerStatsFilter | undefined) {
    validate(statsFilterRequest, { filter });
    return this.runtime.stats.listContainers({
      id: nonEmpty(filter?.id),
      podSandboxId: nonEmpty(filter?.podSandboxId),
      labelSelector: selector(filter?.labelSelector),
    });
  }

  private sandboxes(filter: api.PodSandboxStatsFilter | undefined) {
    validate(statsFilterRequest, { filter });
    return this.runtime.stats.listPodSandboxes({ id: nonEmpty(filter?.id), labelSelector: selector(filter?.labelSelector) });
  }
}
