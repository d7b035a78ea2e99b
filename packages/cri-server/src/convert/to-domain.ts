import type * as core from "@rktlet/core";
import type * as api from "@rktlet/cri-api";
import { mountPropagation, namespaceMode, protocol } from "./enums";

/** CRI request messages → core specs. Inputs have passed the edge validation already. */

const DEFAULT_NAMESPACES: core.NamespaceOptions = { network: "POD", pid: "CONTAINER", ipc: "POD", targetId: "" };

function namespaces(o: api.NamespaceOption | undefined, fallback = DEFAULT_NAMESPACES): core.NamespaceOptions {
  if (!o) return fallback;
  return {
    network: namespaceMode.toDomain(o.network),
    pid: namespaceMode.toDomain(o.pid),
    ipc: namespaceMode.toDomain(o.ipc),
    targetId: o.targetId,
  };
}

export function resources(r: api.LinuxContainerResources | undefined): core.LinuxResources | undefined {
  if (!r) return undefined;
  return {
    cpuPeriod: r.cpuPeriod,
    cpuQuota: r.cpuQuota,
    cpuShares: r.cpuShares,
    memoryLimitInBytes: r.memoryLimitInBytes,
    oomScoreAdj: r.oomScoreAdj,
    cpusetCpus: r.cpusetCpus,
    cpusetMems: r.cpusetMems,
    memorySwapLimitInBytes: r.memorySwapLimitInBytes,
    unified: { ...r.unified },
  };
}

export function podSandboxSpec(config: api.PodSandboxConfig, runtimeHandler: string): core.PodSandboxSpec {
  const m = config.metadata as api.PodSandboxMetadata;
  const sc = config.linux?.securityContext;
  return {
    metadata: { name: m.name, uid: m.uid, namespace: m.namespace, attempt: m.attempt },
    hostname: config.hostname,
    logDirectory: config.logDirectory,
    dns: config.dnsConfig
      ? { servers: config.dnsConfig.servers, searches: config.dnsConfig.searches, options: config.dnsConfig.options }
      : undefined,
    portMappings: config.portMappings.map((p) => ({
      protocol: protocol.toDomain(p.protocol),
      containerPort: p.containerPort,
      hostPort: p.hostPort,
      hostIp: p.hostIp,
    })),
    labels: { ...config.labels },
    annotations: { ...config.annotations },
    cgroupParent: config.linux?.cgroupParent ?? "",
    namespaceOptions: namespaces(sc?.namespaceOptions),
    privileged: sc?.privileged ?? false,
    sysctls: { ...(config.linux?.sysctls ?? {}) },
    runtimeHandler,
  };
}

export function containerSpec(config: api.ContainerConfig): core.ContainerSpec {
  const m = config.metadata as api.ContainerMetadata;
  const image = config.image as api.ImageSpec;
  const sc = config.linux?.securityContext;
  return {
    metadata: { name: m.name, attempt: m.attempt },
    image: { image: image.image, annotations: { ...image.annotations } },
    command: config.command,
    args: config.args,
    workingDir: config.workingDir,
    envs: config.envs.map((e) => ({ key: e.key, value: Buffer.from(e.value).toString("utf8") })),
    mounts: config.mounts.map((mt) => ({
      containerPath: mt.containerPath,
      hostPath: mt.hostPath,
      readonly: mt.readonly,
      selinuxRelabel: mt.selinuxRelabel,
      propagation: mountPropagation.toDomain(mt.propagation),
    })),
    devices: config.devices.map((d) => ({ containerPath: d.containerPath, hostPath: d.hostPath, permissions: d.permissions })),
    labels: { ...config.labels },
    annotations: { ...config.annotations },
    logPath: config.logPath,
    stdin: config.stdin,
    stdinOnce: config.stdinOnce,
    tty: config.tty,
    resources: resources(config.linux?.resources),
    security: {
      privileged: sc?.privileged ?? false,
      readonlyRootfs: sc?.readonlyRootfs ?? false,
      runAsUser: sc?.runAsUser?.value,
      runAsUsername: sc?.runAsUsername ?? "",
      runAsGroup: sc?.runAsGroup?.value,
      supplementalGroups: sc?.supplementalGroups ?? [],
      addCapabilities: sc?.capabilities?.addCapabilities ?? [],
      dropCapabilities: sc?.capabilities?.dropCapabilities ?? [],
      noNewPrivs: sc?.noNewPrivs ?? false,
      seccomp: seccomp(sc),
    },
  };
}

const SECCOMP_TYPES: Readonly<Record<number, core.ContainerSecurity["seccomp"]["type"]>> = {
  0: "RuntimeDefault",
  1: "Unconfined",
  2: "Localhost",
};

/** kubelet sends no profile for an unconfined container, and the deprecated path form on old versions. */
function seccomp(sc: api.LinuxContainerSecurityContext | undefined): core.ContainerSecurity["seccomp"] {
  if (sc?.seccomp) return { type: SECCOMP_TYPES[sc.seccomp.profileType] ?? "Unconfined", localhostRef: sc.seccomp.localhostRef };
  const path = sc?.seccompProfilePath ?? "";
  if (path === "runtime/default" || path === "docker/default") return { type: "RuntimeDefault", localhostRef: "" };
  if (path.startsWith("localhost/")) return { type: "Localhost", localhostRef: path.slice("localhost/".length) };
  return { type: "Unconfined", localhostRef: "" };
}

export function auth(a: api.AuthConfig | undefined): core.AuthConfig | undefined {
  if (!a) return undefined;
  return {
    username: a.username,
    password: a.password,
    auth: a.auth,
    serverAddress: a.serverAddress,
    identityToken: a.identityToken,
    registryToken: a.registryToken,
  };
}

/** Empty strings and maps in CRI filters mean "no condition". */
export function nonEmpty(s: string | undefined): string | undefined {
  return s ? s : undefined;
}

export function selector(map: Record<string, string> | undefined): Record<string, string> | undefined {
  return map && Object.keys(map).length > 0 ? map : undefined;
}
