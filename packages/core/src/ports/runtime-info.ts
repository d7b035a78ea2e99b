import type { RuntimeCondition, RuntimeFeatures, RuntimeVersion } from "../model/runtime";

/** What the backend says about itself, for Version, Status and RuntimeConfig. */
export interface RuntimeInfo {
  version(): Promise<RuntimeVersion>;
  /** RuntimeReady and NetworkReady, with reasons a person can act on when false. */
  conditions(): Promise<readonly RuntimeCondition[]>;
  features(): Promise<RuntimeFeatures>;
  /** Extra details for `Status` with verbose set. Values are plain strings (JSON where structured). */
  verboseInfo(): Promise<Readonly<Record<string, string>>>;
  /** kubelet hands over the pod CIDR through UpdateRuntimeConfig. */
  setPodCidr(cidr: string): Promise<void>;
}
