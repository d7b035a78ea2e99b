import type { ServerWritableStream } from "@grpc/grpc-js";
import { type CriRuntime, ErrorKind, RktletError, validateLinuxResources } from "@rktlet/core";
import type * as api from "@rktlet/cri-api";
import { inject, injectable } from "tsyringe";
import { containerState } from "../convert/enums";
import { containerSpec, nonEmpty, resources, selector } from "../convert/to-domain";
import { container, containerStatus } from "../convert/to-proto";
import { toJson, writeInBatches } from "../grpc/batches";
import {
  containerIdRequest,
  createContainerRequest,
  listContainersRequest,
  MAX_TIMEOUT_SECONDS,
  stopContainerRequest,
  updateContainerResourcesRequest,
  validate,
} from "../grpc/validation";
import { TOKENS } from "../tokens";

/** Container lifecycle, listing, status, resources, log reopening and checkpoint. */
@injectable()
export class ContainerHandlers {
  constructor(@inject(TOKENS.Runtime) private readonly runtime: CriRuntime) {}

  async create(req: api.CreateContainerRequest): Promise<api.CreateContainerResponse> {
    validate(createContainerRequest, req);
    const id = await this.runtime.containers.create(req.podSandboxId, containerSpec(req.config as api.ContainerConfig));
    return { containerId: id };
  }

  async start(req: api.StartContainerRequest): Promise<api.StartContainerResponse> {
    validate(containerIdRequest, req);
    await this.runtime.containers.start(req.containerId);
    return {};
  }

  async stop(req: api.StopContainerRequest): Promise<api.StopContainerResponse> {
    validate(stopContainerRequest, req);
    await this.runtime.containers.stop(req.containerId, Math.min(Number(req.timeout), MAX_TIMEOUT_SECONDS));
    return {};
  }

  async remove(req: api.RemoveContainerRequest): Promise<api.RemoveContainerResponse> {
    validate(containerIdRequest, req);
    await this.runtime.containers.remove(req.containerId);
    return {};
  }

  async list(req: api.ListContainersRequest): Promise<api.ListContainersResponse> {
    return { containers: (await this.query(req.filter)).map(container) };
  }

  async stream(call: ServerWritableStream<api.StreamContainersRequest, api.StreamContainersResponse>): Promise<void> {
    const items = (await this.query(call.request.filter)).map(container);
    await writeInBatches(call, items, (containers) => ({ containers }));
  }

  async status(req: api.ContainerStatusRequest): Promise<api.ContainerStatusResponse> {
    validate(containerIdRequest, req);
    const c = await this.runtime.containers.status(req.containerId);
    return { status: containerStatus(c), info: req.verbose ? { info: toJson({ backend: this.runtime.backend.name, container: c }) } : {} };
  }

  async updateResources(req: api.UpdateContainerResourcesRequest): Promise<api.UpdateContainerResourcesResponse> {
    validate(updateContainerResourcesRequest, req);
    const linux = resources(req.linux);
    if (!linux)
      throw new RktletError(ErrorKind.InvalidArgument, "linux: is required (only Linux resources apply to rkt)", { field: "linux" });
    validateLinuxResources("linux", linux);
    await this.runtime.containers.updateResources(req.containerId, linux);
    return {};
  }

  async reopenLog(req: api.ReopenContainerLogRequest): Promise<api.ReopenContainerLogResponse> {
    validate(containerIdRequest, req);
    await this.runtime.containers.reopenLog(req.containerId);
    return {};
  }

  async checkpoint(_req: api.CheckpointContainerRequest): Promise<api.CheckpointContainerResponse> {
    throw new RktletError(ErrorKind.Unimplemented, "CheckpointContainer: rkt cannot checkpoint containers");
  }

  private async query(filter: api.ContainerFilter | undefined) {
    validate(listContainersRequest, { filter });
    return this.runtime.containers.list({
      id: nonEmpty(filter?.id),
      podSandboxId: nonEmpty(filter?.podSandboxId),
      state: filter?.state ? containerState.toDomain(filter.state.state) : undefined,
      labelSelector: selector(filter?.labelSelector),
    });
  }
}
