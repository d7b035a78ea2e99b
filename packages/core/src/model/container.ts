import type { Nanos, StringMap } from "./common";

export interface ContainerMetadata {
  readonly name: string;
  readonly attempt: number;
}

export const ContainerState = {
  Created: "CREATED",
  Running: "RUNNING",
  Exited: "EXITED",
  Unknown: "UNKNOWN",
} as const;
export type ContainerState = (typeof ContainerState)[keyof typeof ContainerState];

export const MountPropagation = { Private: "PRIVATE", HostToContainer: "HOST_TO_CONTAINER", Bidirectional: "BIDIRECTIONAL" } as const;
export type MountPropagation = (typeof MountPropagation)[keyof typeof MountPropagation];

export interface Mount {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly readonly: boolean;
  readonly selinuxRelabel: boolean;
  readonly propagation: MountPropagation;
}

export interface Device {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly permissions: string;
}

/** Linux resources; zero means "not set" as in the CRI. */
export interface LinuxResources {
  readonly cpuPeriod: bigint;
  readonly cpuQuota: bigint;
  readonly cpuShares: bigint;
  readonly memoryLimitInBytes: bigint;
  readonly oomScoreAdj: bigint;
  readonly cpusetCpus: string;
  readonly cpusetMems: string;
  readonly memorySwapLimitInBytes: bigint;
  readonly unified: StringMap;
}

export interface ContainerSecurity {
  readonly privileged: boolean;
  readonly readonlyRootfs: boolean;
  readonly runAsUser: bigint | undefined;
  readonly runAsUsername: string;
  readonly runAsGroup: bigint | undefined;
  readonly supplementalGroups: readonly bigint[];
  readonly addCapabilities: readonly string[];
  readonly dropCapabilities: readonly string[];
  readonly noNewPrivs: boolean;
  /** Seccomp: none (unconfined), the runtime's default filter, or a profile file on the node. */
  readonly seccomp: { readonly type: "Unconfined" | "RuntimeDefault" | "Localhost"; readonly localhostRef: string };
}

export interface ImageRef {
  /** The image as the user named it (tag or digest). */
  readonly image: string;
  readonly annotations: StringMap;
}

/** What a backend needs to create a container (an app in the pod). */
export interface ContainerSpec {
  readonly metadata: ContainerMetadata;
  readonly image: ImageRef;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly workingDir: string;
  readonly envs: readonly { readonly key: string; readonly value: string }[];
  readonly mounts: readonly Mount[];
  readonly devices: readonly Device[];
  readonly labels: StringMap;
  readonly annotations: StringMap;
  /** Relative to the sandbox's log directory; empty when kubelet wants no log. */
  readonly logPath: string;
  readonly stdin: boolean;
  readonly stdinOnce: boolean;
  readonly tty: boolean;
  readonly resources: LinuxResources | undefined;
  readonly security: ContainerSecurity;
}

/** A container as a backend reports it. */
export interface Container {
  readonly id: string;
  readonly podSandboxId: string;
  readonly metadata: ContainerMetadata;
  readonly image: ImageRef;
  /** The resolved image id the container runs. */
  readonly imageRef: string;
  readonly imageId: string;
  readonly state: ContainerState;
  readonly createdAt: Nanos;
  readonly startedAt: Nanos;
  readonly finishedAt: Nanos;
  readonly exitCode: number;
  readonly reason: string;
  readonly message: string;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly mounts: readonly Mount[];
  /** Absolute path of the log file, or empty. */
  readonly logPath: string;
  readonly resources: LinuxResources | undefined;
}

export interface ContainerFilter {
  readonly id?: string | undefined;
  readonly state?: ContainerState | undefined;
  readonly podSandboxId?: string | undefined;
  readonly labelSelector?: StringMap | undefined;
}

export interface ExecSyncResult {
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly exitCode: number;
  readonly timedOut: boolean;
}
