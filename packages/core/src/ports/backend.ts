import type { AppRuntime } from "./app-runtime";
import type { ImageStore } from "./image-store";
import type { PodSandboxRuntime } from "./pod-sandbox-runtime";
import type { RuntimeInfo } from "./runtime-info";
import type { StatsProvider } from "./stats-provider";
import type { StreamRuntime } from "./stream-runtime";
import type { UnitManager } from "./unit-manager";

/** Everything one backend (rkt, or the testkit fakes) provides, as handed to the composition root. */
export interface RuntimeBackend {
  readonly name: string;
  readonly sandboxes: PodSandboxRuntime;
  readonly apps: AppRuntime;
  readonly images: ImageStore;
  readonly units: UnitManager;
  readonly info: RuntimeInfo;
  readonly stats: StatsProvider;
  readonly streams: StreamRuntime;
  /** Pushes containers that changed state by themselves (e.g. exited), so events need no polling. */
  onContainerChange?(listener: (containerId: string) => void): () => void;
  /** Releases timers, watchers and child processes. Pods keep running. */
  close(): Promise<void>;
}
