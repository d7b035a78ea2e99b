/** A condition in the CRI Status answer; kubelet needs RuntimeReady and NetworkReady true. */
export interface RuntimeCondition {
  readonly type: string;
  readonly status: boolean;
  readonly reason: string;
  readonly message: string;
}

export const RuntimeConditionType = { RuntimeReady: "RuntimeReady", NetworkReady: "NetworkReady" } as const;

export interface RuntimeVersion {
  readonly runtimeName: string;
  readonly runtimeVersion: string;
}

export const CgroupDriver = { Systemd: "SYSTEMD", Cgroupfs: "CGROUPFS" } as const;
export type CgroupDriver = (typeof CgroupDriver)[keyof typeof CgroupDriver];

export interface RuntimeHandler {
  readonly name: string;
  readonly recursiveReadOnlyMounts: boolean;
  readonly userNamespaces: boolean;
}

export interface RuntimeFeatures {
  readonly handlers: readonly RuntimeHandler[];
  readonly supplementalGroupsPolicy: boolean;
  readonly cgroupDriver: CgroupDriver;
}
