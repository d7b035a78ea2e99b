import type { Nanos, StringMap } from "./common";

export interface PodSandboxMetadata {
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
  readonly attempt: number;
}

export const PodSandboxState = { Ready: "READY", NotReady: "NOTREADY" } as const;
export type PodSandboxState = (typeof PodSandboxState)[keyof typeof PodSandboxState];

/** How a pod shares a Linux namespace: its own, the node's, or (pid only) one container's. */
export const NamespaceMode = { Pod: "POD", Container: "CONTAINER", Node: "NODE", Target: "TARGET" } as const;
export type NamespaceMode = (typeof NamespaceMode)[keyof typeof NamespaceMode];

export interface NamespaceOptions {
  readonly network: NamespaceMode;
  readonly pid: NamespaceMode;
  readonly ipc: NamespaceMode;
  readonly targetId: string;
}

export interface PortMapping {
  readonly protocol: "TCP" | "UDP" | "SCTP";
  readonly containerPort: number;
  readonly hostPort: number;
  readonly hostIp: string;
}

export interface DnsConfig {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

/** What a backend needs to start a pod sandbox. Validated by the use case before a backend sees it. */
export interface PodSandboxSpec {
  readonly metadata: PodSandboxMetadata;
  readonly hostname: string;
  /** Absolute directory under which kubelet wants container logs, or empty. */
  readonly logDirectory: string;
  readonly dns: DnsConfig | undefined;
  readonly portMappings: readonly PortMapping[];
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly cgroupParent: string;
  readonly namespaceOptions: NamespaceOptions;
  readonly privileged: boolean;
  readonly sysctls: StringMap;
  readonly runtimeHandler: string;
}

export interface PodSandboxNetwork {
  readonly ip: string;
  readonly additionalIps: readonly string[];
}

/** A pod sandbox as a backend reports it. */
export interface PodSandbox {
  readonly id: string;
  readonly metadata: PodSandboxMetadata;
  readonly state: PodSandboxState;
  readonly createdAt: Nanos;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly network: PodSandboxNetwork | undefined;
  readonly namespaceOptions: NamespaceOptions;
  readonly runtimeHandler: string;
  readonly logDirectory: string;
  /** Whether the pod was created privileged: only then may its containers be. */
  readonly privileged: boolean;
}

export interface PodSandboxFilter {
  readonly id?: string | undefined;
  readonly state?: PodSandboxState | undefined;
  readonly labelSelector?: StringMap | undefined;
}
