import * as core from "@rktlet/core";
import * as api from "@rktlet/cri-api";

/** Two-way maps between the CRI's numeric enums and core's string unions. */
function bimap<D extends string, P extends number>(pairs: readonly (readonly [D, P])[]) {
  const toProto = new Map(pairs);
  const toDomain = new Map(pairs.map(([d, p]) => [p, d] as const));
  return {
    toProto: (d: D): P => toProto.get(d) as P,
    toDomain: (p: P): D => {
      const d = toDomain.get(p);
      if (d === undefined) throw new Error(`unknown enum value ${p}`); // validation rejects these first
      return d;
    },
  };
}

export const sandboxState = bimap<core.PodSandboxState, api.PodSandboxState>([
  [core.PodSandboxState.Ready, api.PodSandboxState.SANDBOX_READY],
  [core.PodSandboxState.NotReady, api.PodSandboxState.SANDBOX_NOTREADY],
]);

export const containerState = bimap<core.ContainerState, api.ContainerState>([
  [core.ContainerState.Created, api.ContainerState.CONTAINER_CREATED],
  [core.ContainerState.Running, api.ContainerState.CONTAINER_RUNNING],
  [core.ContainerState.Exited, api.ContainerState.CONTAINER_EXITED],
  [core.ContainerState.Unknown, api.ContainerState.CONTAINER_UNKNOWN],
]);

export const namespaceMode = bimap<core.NamespaceMode, api.NamespaceMode>([
  [core.NamespaceMode.Pod, api.NamespaceMode.POD],
  [core.NamespaceMode.Container, api.NamespaceMode.CONTAINER],
  [core.NamespaceMode.Node, api.NamespaceMode.NODE],
  [core.NamespaceMode.Target, api.NamespaceMode.TARGET],
]);

export const mountPropagation = bimap<core.MountPropagation, api.MountPropagation>([
  [core.MountPropagation.Private, api.MountPropagation.PROPAGATION_PRIVATE],
  [core.MountPropagation.HostToContainer, api.MountPropagation.PROPAGATION_HOST_TO_CONTAINER],
  [core.MountPropagation.Bidirectional, api.MountPropagation.PROPAGATION_BIDIRECTIONAL],
]);

export const protocol = bimap<core.PortMapping["protocol"], api.Protocol>([
  ["TCP", api.Protocol.TCP],
  ["UDP", api.Protocol.UDP],
  ["SCTP", api.Protocol.SCTP],
]);

export const eventType = bimap<core.ContainerEventType, api.ContainerEventType>([
  [core.ContainerEventType.Created, api.ContainerEventType.CONTAINER_CREATED_EVENT],
  [core.ContainerEventType.Started, api.ContainerEventType.CONTAINER_STARTED_EVENT],
  [core.ContainerEventType.Stopped, api.ContainerEventType.CONTAINER_STOPPED_EVENT],
  [core.ContainerEventType.Deleted, api.ContainerEventType.CONTAINER_DELETED_EVENT],
]);

export const cgroupDriver = bimap<core.CgroupDriver, api.CgroupDriver>([
  [core.CgroupDriver.Systemd, api.CgroupDriver.SYSTEMD],
  [core.CgroupDriver.Cgroupfs, api.CgroupDriver.CGROUPFS],
]);

export const metricType = bimap<core.Metric["type"], api.MetricType>([
  ["COUNTER", api.MetricType.COUNTER],
  ["GAUGE", api.MetricType.GAUGE],
]);
