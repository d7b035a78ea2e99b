import {
  CgroupDriver,
  type RuntimeCondition,
  RuntimeConditionType,
  type RuntimeFeatures,
  type RuntimeInfo,
  type RuntimeVersion,
} from "@rktlet/core";

/** A backend description whose readiness tests can flip. */
export class FakeRuntimeInfo implements RuntimeInfo {
  runtimeReady: { status: boolean; reason: string; message: string } = { status: true, reason: "", message: "" };
  networkReady: { status: boolean; reason: string; message: string } = { status: true, reason: "", message: "" };
  podCidr = "";
  cgroupDriver: CgroupDriver = CgroupDriver.Systemd;

  constructor(private readonly runtimeVersion = "1.30.0") {}

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: "rkt", runtimeVersion: this.runtimeVersion };
  }

  async conditions(): Promise<readonly RuntimeCondition[]> {
    return [
      { type: RuntimeConditionType.RuntimeReady, ...this.runtimeReady },
      { type: RuntimeConditionType.NetworkReady, ...this.networkReady },
    ];
  }

  async features(): Promise<RuntimeFeatures> {
    return {
      handlers: [{ name: "", recursiveReadOnlyMounts: false, userNamespaces: false }],
      supplementalGroupsPolicy: false,
      cgroupDriver: this.cgroupDriver,
    };
  }

  async verboseInfo(): Promise<Readonly<Record<string, string>>> {
    return { backend: "fake", runtimeVersion: this.runtimeVersion, podCidr: this.podCidr, unitManager: "fake" };
  }

  async setPodCidr(cidr: string): Promise<void> {
    this.podCidr = cidr;
  }
}
