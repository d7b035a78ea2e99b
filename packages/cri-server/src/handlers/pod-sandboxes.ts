import type { ServerWritableStream } from "@grpc/grpc-js";
import { type CriRuntime, RktletError, validateLinuxResources } from "@rktlet/core";
import * as api from "@rktlet/cri-api";
import { inject, injectable } from "tsyringe";
import { sandboxState } from "../convert/enums";
import { nonEmpty, podSandboxSpec, resources, selector } from "../convert/to-domain";
import { containerStatus, podSandbox, podSandboxStatus } from "../convert/to-proto";
import { toJson, writeInBatches } from "../grpc/batches";
import { listPodSandboxRequest, podSandboxIdRequest, runPodSandboxRequest, validate } from "../grpc/validation";
import { TOKENS } from "../tokens";

/** RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus, ListPodSandbox, StreamPodSandboxes, UpdatePodSandboxResources. */
@injectable()
export class PodSandboxHandlers {
  constructor(@inject(TOKENS.Runtime) private readonly runtime: CriRuntime) {}

  async run(req: api.RunPodSandboxRequest): Promise<api.RunPodSandboxResponse> {
    validate(runPodSandboxRequest, req);
    const id = await this.runtime.sandboxes.run(podSandboxSpec(req.config as api.PodSandboxConfig, req.runtimeHandler));
    return { podSandboxId: id };
  }

  async stop(req: api.StopPodSandboxRequest): Promise<api.StopPodSandboxResponse> {
    validate(podSandboxIdRequest, req);
    await this.runtime.sandboxes.stop(req.podSandboxId);
    return {};
  }

  async remove(req: api.RemovePodSandboxRequest): Promise<api.RemovePodSandboxResponse> {
    validate(podSandboxIdRequest, req);
    await this.runtime.sandboxes.remove(req.podSandboxId);
    return {};
  }

  async status(req: api.PodSandboxStatusRequest): Promise<api.PodSandboxStatusResponse> {
    validate(podSandboxIdRequest, req);
    const { sandbox, containers } = await this.runtime.sandboxes.status(req.podSandboxId);
    return api.PodSandboxStatusResponse.fromPartial({
      status: podSandboxStatus(sandbox),
      info: req.verbose ? { info: toJson({ backend: this.runtime.backend.name, sandbox }) } : {},
      containersStatuses: containers.map(containerStatus),
      timestamp: BigInt(Date.now()) * 1_000_000n,
    });
  }

  async list(req: api.ListPodSandboxRequest): Promise<api.ListPodSandboxResponse> {
    return { items: (await this.query(req.filter)).map(podSandbox) };
  }

  async stream(call: ServerWritableStream<api.StreamPodSandboxesRequest, api.StreamPodSandboxesResponse>): Promise<void> {
    const items = (await this.query(call.request.filter)).map(podSandbox);
    await writeInBatches(call, items, (podSandboxes) => ({ podSandboxes }));
  }

  async updateResources(req: api.UpdatePodSandboxResourcesRequest): Promise<api.UpdatePodSandboxResourcesResponse> {
    validate(podSandboxIdRequest, req);
    const overhead = resources(req.overhead);
    const limits = resources(req.resources);
    if (overhead) validateLinuxResources("overhead", overhead);
    if (limits) validateLinuxResources("resources", limits);
    await this.runtime.sandboxes.updateResources(req.podSandboxId, overhead, limits).catch((err: unknown) => {
      throw inPodTerms(err);
    });
    return {};
  }

  private async query(filter: api.PodSandboxFilter | undefined) {
    validate(listPodSandboxRequest, { filter });
    return this.runtime.sandboxes.list({
      id: nonEmpty(filter?.id),
      state: filter?.state ? sandboxState.toDomain(filter.state.state) : undefined,
      labelSelector: selector(filter?.labelSelector),
    });
  }
}

/**
 * Backends apply pod limits with the code they use for containers, whose errors name the fields of a
 * container's request (`linux.cpu_shares`); here those are the pod's `resources`.
 */
function inPodTerms(err: unknown): unknown {
  if (!(err instanceof RktletError) || !/^linux\b/.test(err.message)) return err;
  const field = err.field?.replace(/^linux\b/, "resources");
  return new RktletError(err.kind, err.message.replace(/^linux\b/, "resources"), { ...(field ? { field } : {}), cause: err });
}
