import type { ImageServiceServer, RuntimeServiceServer } from "@rktlet/cri-api";
import type { ContainerHandlers } from "../handlers/containers";
import type { EventHandlers } from "../handlers/events";
import type { ExecHandlers } from "../handlers/exec";
import type { ImageHandlers } from "../handlers/images";
import type { PodSandboxHandlers } from "../handlers/pod-sandboxes";
import type { RuntimeInfoHandlers } from "../handlers/runtime-info";
import type { StatsHandlers } from "../handlers/stats";
import type { RpcRunner } from "./rpc-runner";

export interface HandlerGroups {
  readonly info: RuntimeInfoHandlers;
  readonly sandboxes: PodSandboxHandlers;
  readonly containers: ContainerHandlers;
  readonly exec: ExecHandlers;
  readonly stats: StatsHandlers;
  readonly events: EventHandlers;
  readonly images: ImageHandlers;
}

/**
 * The RuntimeService as grpc-js wants it. Typed as the generated server interface, so the compiler
 * refuses to build if an RPC of the proto has no handler here.
 */
export function runtimeService(rpc: RpcRunner, h: HandlerGroups): RuntimeServiceServer {
  const { info, sandboxes: s, containers: c, exec, stats, events } = h;
  return {
    version: rpc.unary("Version", (r) => info.version(r)),
    runPodSandbox: rpc.unary("RunPodSandbox", (r) => s.run(r)),
    stopPodSandbox: rpc.unary("StopPodSandbox", (r) => s.stop(r)),
    removePodSandbox: rpc.unary("RemovePodSandbox", (r) => s.remove(r)),
    podSandboxStatus: rpc.unary("PodSandboxStatus", (r) => s.status(r)),
    listPodSandbox: rpc.unary("ListPodSandbox", (r) => s.list(r)),
    streamPodSandboxes: rpc.stream("StreamPodSandboxes", (call) => s.stream(call)),
    createContainer: rpc.unary("CreateContainer", (r) => c.create(r)),
    startContainer: rpc.unary("StartContainer", (r) => c.start(r)),
    stopContainer: rpc.unary("StopContainer", (r) => c.stop(r)),
    removeContainer: rpc.unary("RemoveContainer", (r) => c.remove(r)),
    listContainers: rpc.unary("ListContainers", (r) => c.list(r)),
    streamContainers: rpc.stream("StreamContainers", (call) => c.stream(call)),
    containerStatus: rpc.unary("ContainerStatus", (r) => c.status(r)),
    updateContainerResources: rpc.unary("UpdateContainerResources", (r) => c.updateResources(r)),
    reopenContainerLog: rpc.unary("ReopenContainerLog", (r) => c.reopenLog(r)),
    execSync: rpc.unary("ExecSync", (r) => exec.execSync(r)),
    exec: rpc.unary("Exec", (r) => exec.exec(r)),
    attach: rpc.unary("Attach", (r) => exec.attach(r)),
    portForward: rpc.unary("PortForward", (r) => exec.portForward(r)),
    containerStats: rpc.unary("ContainerStats", (r) => stats.containerStats(r)),
    listContainerStats: rpc.unary("ListContainerStats", (r) => stats.listContainerStats(r)),
    streamContainerStats: rpc.stream("StreamContainerStats", (call) => stats.streamContainerStats(call)),
    podSandboxStats: rpc.unary("PodSandboxStats", (r) => stats.podSandboxStats(r)),
    listPodSandboxStats: rpc.unary("ListPodSandboxStats", (r) => stats.listPodSandboxStats(r)),
    streamPodSandboxStats: rpc.stream("StreamPodSandboxStats", (call) => stats.streamPodSandboxStats(call)),
    updateRuntimeConfig: rpc.unary("UpdateRuntimeConfig", (r) => info.updateRuntimeConfig(r)),
    status: rpc.unary("Status", (r) => info.status(r)),
    checkpointContainer: rpc.unary("CheckpointContainer", (r) => c.checkpoint(r)),
    getContainerEvents: rpc.stream("GetContainerEvents", (call) => events.getContainerEvents(call)),
    listMetricDescriptors: rpc.unary("ListMetricDescriptors", (r) => stats.listMetricDescriptors(r)),
    listPodSandboxMetrics: rpc.unary("ListPodSandboxMetrics", (r) => stats.listPodSandboxMetrics(r)),
    streamPodSandboxMetrics: rpc.stream("StreamPodSandboxMetrics", (call) => stats.streamPodSandboxMetrics(call)),
    runtimeConfig: rpc.unary("RuntimeConfig", (r) => info.runtimeConfig(r)),
    updatePodSandboxResources: rpc.unary("UpdatePodSandboxResources", (r) => s.updateResources(r)),
  };
}

export function imageService(rpc: RpcRunner, h: HandlerGroups): ImageServiceServer {
  const i = h.images;
  return {
    listImages: rpc.unary("ListImages", (r) => i.list(r)),
    streamImages: rpc.stream("StreamImages", (call) => i.stream(call)),
    imageStatus: rpc.unary("ImageStatus", (r) => i.status(r)),
    pullImage: rpc.unary("PullImage", (r) => i.pull(r)),
    removeImage: rpc.unary("RemoveImage", (r) => i.remove(r)),
    imageFsInfo: rpc.unary("ImageFsInfo", (r) => i.fsInfo(r)),
  };
}
