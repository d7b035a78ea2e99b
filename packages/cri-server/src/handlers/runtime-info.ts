import type { CriRuntime } from "@rktlet/core";
import * as api from "@rktlet/cri-api";
import { inject, injectable } from "tsyringe";
import { runtimeConfig } from "../convert/to-proto";
import { updateRuntimeConfigRequest, validate } from "../grpc/validation";
import { TOKENS } from "../tokens";

/** Version of this server's runtime service implementation, as other CRI runtimes report theirs. */
export const RUNTIME_SERVICE_VERSION = "0.1.0";

/** Version, Status, RuntimeConfig and UpdateRuntimeConfig. */
@injectable()
export class RuntimeInfoHandlers {
  constructor(@inject(TOKENS.Runtime) private readonly runtime: CriRuntime) {}

  async version(_req: api.VersionRequest): Promise<api.VersionResponse> {
    const v = await this.runtime.status.version();
    return {
      version: RUNTIME_SERVICE_VERSION,
      runtimeName: v.runtimeName,
      runtimeVersion: v.runtimeVersion,
      runtimeApiVersion: v.runtimeApiVersion,
    };
  }

  async status(req: api.StatusRequest): Promise<api.StatusResponse> {
    const s = await this.runtime.status.status(req.verbose);
    const info: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.info)) info[k] = JSON.stringify(v); // the CRI wants JSON values
    return api.StatusResponse.fromPartial({
      status: { conditions: s.conditions.map((c) => ({ ...c })) },
      info,
      runtimeHandlers: s.features.handlers.map((h) => ({
        name: h.name,
        features: { recursiveReadOnlyMounts: h.recursiveReadOnlyMounts, userNamespaces: h.userNamespaces },
      })),
      features: { supplementalGroupsPolicy: s.features.supplementalGroupsPolicy },
    });
  }

  async runtimeConfig(_req: api.RuntimeConfigRequest): Promise<api.RuntimeConfigResponse> {
    return runtimeConfig(await this.runtime.status.features());
  }

  async updateRuntimeConfig(req: api.UpdateRuntimeConfigRequest): Promise<api.UpdateRuntimeConfigResponse> {
    validate(updateRuntimeConfigRequest, req);
    await this.runtime.status.updatePodCidr(req.runtimeConfig?.networkConfig?.podCidr ?? "");
    return {};
  }
}
