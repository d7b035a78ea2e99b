import type * as core from "@rktlet/core";
import * as api from "@rktlet/cri-api";
import { cgroupDriver, containerState, eventType, metricType, mountPropagation, namespaceMode, sandboxState } from "./enums";

/** core objects → CRI response messages. */

const u64 = (value: bigint | undefined): api.UInt64Value | undefined => (value === undefined ? undefined : { value });

export function podSandbox(s: core.PodSandbox): api.PodSandbox {
  return api.PodSandbox.fromPartial({
    id: s.id,
    metadata: s.metadata,
    state: sandboxState.toProto(s.state),
    createdAt: s.createdAt,
    labels: { ...s.labels },
    annotations: { ...s.annotations },
    runtimeHandler: s.runtimeHandler,
  });
}

export function podSandboxStatus(s: core.PodSandbox): api.PodSandboxStatus {
  const ns = s.namespaceOptions;
  return api.PodSandboxStatus.fromPartial({
    id: s.id,
    metadata: s.metadata,
    state: sandboxState.toProto(s.state),
    createdAt: s.createdAt,
    network: s.network ? { ip: s.network.ip, additionalIps: s.network.additionalIps.map((ip) => ({ ip })) } : undefined,
    linux: {
      namespaces: {
        options: {
          network: namespaceMode.toProto(ns.network),
          pid: namespaceMode.toProto(ns.pid),
          ipc: namespaceMode.toProto(ns.ipc),
          targetId: ns.targetId,
        },
      },
    },
    labels: { ...s.labels },
    annotations: { ...s.annotations },
    runtimeHandler: s.runtimeHandler,
  });
}

function imageSpec(c: core.Container): api.ImageSpec {
  return api.ImageSpec.fromPartial({ image: c.image.image, annotations: { ...c.image.annotations }, userSpecifiedImage: c.image.image });
}

export function container(c: core.Container): api.Container {
  return api.Container.fromPartial({
    id: c.id,
    podSandboxId: c.podSandboxId,
    metadata: c.metadata,
    image: imageSpec(c),
    imageRef: c.imageRef,
    imageId: c.imageId,
    state: containerState.toProto(c.state),
    createdAt: c.createdAt,
    labels: { ...c.labels },
    annotations: { ...c.annotations },
  });
}

function linuxResources(r: core.LinuxResources): api.LinuxContainerResources {
  return api.LinuxContainerResources.fromPartial({ ...r, unified: { ...r.unified } });
}

export function containerStatus(c: core.Container): api.ContainerStatus {
  return api.ContainerStatus.fromPartial({
    id: c.id,
    metadata: c.metadata,
    state: containerState.toProto(c.state),
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    image: imageSpec(c),
    imageRef: c.imageRef,
    imageId: c.imageId,
    reason: c.reason,
    message: c.message,
    labels: { ...c.labels },
    annotations: { ...c.annotations },
    mounts: c.mounts.map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly,
      selinuxRelabel: m.selinuxRelabel,
      propagation: mountPropagation.toProto(m.propagation),
    })),
    logPath: c.logPath,
    resources: c.resources ? { linux: linuxResources(c.resources) } : undefined,
  });
}

export function image(i: core.Image): api.Image {
  return api.Image.fromPartial({
    id: i.id,
    repoTags: [...i.repoTags],
    repoDigests: [...i.repoDigests],
    size: i.size,
    uid: i.uid === undefined ? undefined : { value: i.uid },
    username: i.username,
    spec: { image: i.id, annotations: { ...i.annotations } },
    pinned: i.pinned,
  });
}

export function filesystemUsage(f: core.FilesystemUsage): api.FilesystemUsage {
  return api.FilesystemUsage.fromPartial({
    timestamp: f.timestamp,
    fsId: { mountpoint: f.mountpoint },
    usedBytes: u64(f.usedBytes),
    inodesUsed: u64(f.inodesUsed),
  });
}

function cpu(c: core.CpuUsage | undefined): api.CpuUsage | undefined {
  return (
    c &&
    api.CpuUsage.fromPartial({
      timestamp: c.timestamp,
      usageCoreNanoSeconds: u64(c.usageCoreNanoSeconds),
      usageNanoCores: u64(c.usageNanoCores),
    })
  );
}

function memory(m: core.MemoryUsage | undefined): api.MemoryUsage | undefined {
  return (
    m &&
    api.MemoryUsage.fromPartial({
      timestamp: m.timestamp,
      workingSetBytes: u64(m.workingSetBytes),
      availableBytes: u64(m.availableBytes),
      usageBytes: u64(m.usageBytes),
      rssBytes: u64(m.rssBytes),
      pageFaults: u64(m.pageFaults),
      majorPageFaults: u64(m.majorPageFaults),
    })
  );
}

function netInterface(i: core.NetworkInterfaceUsage): api.NetworkInterfaceUsage {
  return { name: i.name, rxBytes: u64(i.rxBytes), rxErrors: u64(i.rxErrors), txBytes: u64(i.txBytes), txErrors: u64(i.txErrors) };
}

export function containerStats(s: core.ContainerStats): api.ContainerStats {
  return api.ContainerStats.fromPartial({
    attributes: { id: s.id, metadata: s.metadata, labels: { ...s.labels }, annotations: { ...s.annotations } },
    cpu: cpu(s.cpu),
    memory: memory(s.memory),
    writableLayer: s.writableLayer && filesystemUsage(s.writableLayer),
  });
}

export function podSandboxStats(s: core.PodSandboxStats): api.PodSandboxStats {
  return api.PodSandboxStats.fromPartial({
    attributes: { id: s.id, metadata: s.metadata, labels: { ...s.labels }, annotations: { ...s.annotations } },
    linux: {
      cpu: cpu(s.cpu),
      memory: memory(s.memory),
      network: s.network && {
        timestamp: s.network.timestamp,
        defaultInterface: s.network.defaultInterface && netInterface(s.network.defaultInterface),
        interfaces: s.network.interfaces.map(netInterface),
      },
      process: s.process && { timestamp: s.process.timestamp, processCount: u64(s.process.processCount) },
      containers: s.containers.map(containerStats),
    },
  });
}

function metric(m: core.Metric): api.Metric {
  return {
    name: m.name,
    timestamp: m.timestamp,
    metricType: metricType.toProto(m.type),
    labelValues: [...m.labelValues],
    value: u64(m.value),
  };
}

export function podSandboxMetrics(m: core.PodSandboxMetrics): api.PodSandboxMetrics {
  return {
    podSandboxId: m.podSandboxId,
    metrics: m.metrics.map(metric),
    containerMetrics: m.containerMetrics.map((c) => ({ containerId: c.containerId, metrics: c.metrics.map(metric) })),
  };
}

export function metricDescriptor(d: core.MetricDescriptor): api.MetricDescriptor {
  return { name: d.name, help: d.help, labelKeys: [...d.labelKeys] };
}

export function containerEvent(e: core.ContainerEvent): api.ContainerEventResponse {
  return api.ContainerEventResponse.fromPartial({
    containerId: e.containerId,
    containerEventType: eventType.toProto(e.type),
    createdAt: e.createdAt,
    podSandboxStatus: e.podSandbox && podSandboxStatus(e.podSandbox),
    containersStatuses: e.containers.map(containerStatus),
  });
}

export function runtimeConfig(features: core.RuntimeFeatures): api.RuntimeConfigResponse {
  return { linux: { cgroupDriver: cgroupDriver.toProto(features.cgroupDriver) } };
}
