import { invalidArgument } from "../errors";
import type { RuntimeCondition, RuntimeFeatures, RuntimeVersion } from "../model/runtime";
import type { RuntimeInfo } from "../ports/runtime-info";
import { checkText, ensure } from "./rules";

/** The CRI API version rktlet speaks. */
export const CRI_API_VERSION = "v1";

export interface RuntimeStatus {
  readonly conditions: readonly RuntimeCondition[];
  readonly info: Readonly<Record<string, string>>;
  readonly features: RuntimeFeatures;
}

export class RuntimeStatusService {
  constructor(private readonly runtime: RuntimeInfo) {}

  async version(): Promise<RuntimeVersion & { readonly runtimeApiVersion: string }> {
    return { ...(await this.runtime.version()), runtimeApiVersion: CRI_API_VERSION };
  }

  async status(verbose: boolean): Promise<RuntimeStatus> {
    const [conditions, features, info] = await Promise.all([
      this.runtime.conditions(),
      this.runtime.features(),
      verbose ? this.runtime.verboseInfo() : Promise.resolve({}),
    ]);
    return { conditions, features, info };
  }

  async features(): Promise<RuntimeFeatures> {
    return this.runtime.features();
  }

  async updatePodCidr(cidr: string): Promise<void> {
    if (cidr === "") return; // kubelet sends an empty config when nothing changed
    ensure("runtime_config.network_config.pod_cidr", cidr, checkText);
    for (const part of cidr.split(",")) {
      if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(part.trim()))
        throw invalidArgument("runtime_config.network_config.pod_cidr", `"${part}" is not a CIDR`);
    }
    await this.runtime.setPodCidr(cidr);
  }
}
