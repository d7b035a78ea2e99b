import type { ContainerSpec, LinuxResources, PodSandboxSpec } from "@rktlet/core";
import type { ContainerConfig, PodSandboxConfig } from "@rktlet/cri-api";

/** Complete, valid specs and CRI configs with every field set, for tests to override what they care about. */

export function podSandboxSpec(name = "web", over: Partial<PodSandboxSpec> = {}): PodSandboxSpec {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 },
    hostname: name,
    logDirectory: `/var/log/pods/default_${name}`,
    dns: undefined,
    portMappings: [],
    labels: { app: name },
    annotations: {},
    cgroupParent: "",
    namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD", targetId: "" },
    privileged: false,
    sysctls: {},
    runtimeHandler: "",
    ...over,
  };
}

/** Linux resources with nothing set (every limit 0 or empty), for tests to set what they care about. */
export function linuxResources(over: Partial<LinuxResources> = {}): LinuxResources {
  return {
    cpuPeriod: 0n,
    cpuQuota: 0n,
    cpuShares: 0n,
    memoryLimitInBytes: 0n,
    oomScoreAdj: 0n,
    cpusetCpus: "",
    cpusetMems: "",
    memorySwapLimitInBytes: 0n,
    unified: {},
    ...over,
  };
}

export function containerSpec(name = "app", over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    metadata: { name, attempt: 0 },
    image: { image: "busybox", annotations: {} },
    command: ["sh", "-c", "sleep 3600"],
    args: [],
    workingDir: "",
    envs: [],
    mounts: [],
    devices: [],
    labels: { tier: name },
    annotations: {},
    logPath: `${name}/0.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    resources: undefined,
    security: {
      privileged: false,
      readonlyRootfs: false,
      runAsUser: undefined,
      runAsUsername: "",
      runAsGroup: undefined,
      supplementalGroups: [],
      addCapabilities: [],
      dropCapabilities: [],
      noNewPrivs: false,
      seccomp: { type: "RuntimeDefault", localhostRef: "" },
    },
    ...over,
  };
}

/** A CRI PodSandboxConfig as kubelet sends it. */
export function criPodConfig(name: string, over: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 },
    hostname: name,
    logDirectory: `/var/log/pods/default_${name}`,
    dnsConfig: { servers: ["10.96.0.10"], searches: ["default.svc.cluster.local"], options: ["ndots:5"] },
    portMappings: [{ protocol: 0, containerPort: 80, hostPort: 8080, hostIp: "" }],
    labels: { app: name },
    annotations: { "kubernetes.io/config.source": "api" },
    linux: undefined,
    windows: undefined,
    ...over,
  };
}

/** A CRI ContainerConfig as kubelet sends it. */
export function criContainerConfig(name: string, over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    metadata: { name, attempt: 0 },
    image: { image: "busybox", annotations: {}, userSpecifiedImage: "busybox", runtimeHandler: "", imageRef: "" },
    command: ["sh", "-c", "echo hello; sleep 3600"],
    args: [],
    workingDir: "",
    envs: [{ key: "GREETING", value: Buffer.from("hello") }],
    mounts: [],
    devices: [],
    labels: { tier: name },
    annotations: {},
    logPath: `${name}/0.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: undefined,
    windows: undefined,
    CDIDevices: [],
    stopSignal: 0,
    ...over,
  };
}
