import type { LinuxResources } from "../model/container";
import type { PodSandbox, PodSandboxSpec } from "../model/pod-sandbox";

/**
 * Runs pod sandboxes. Implementations need not be idempotent or filter anything: the use cases in
 * core own the CRI semantics and call these with validated, existing ids.
 */
export interface PodSandboxRuntime {
  /** Starts a sandbox and resolves with its id once it is ready. */
  run(spec: PodSandboxSpec): Promise<string>;
  /** Stops the sandbox and everything in it. */
  stop(id: string): Promise<void>;
  /** Removes a stopped sandbox and what it left behind. */
  remove(id: string): Promise<void>;
  /** Every sandbox the backend knows of. This is a hot path: no process per sandbox. */
  list(): Promise<readonly PodSandbox[]>;
  /** Applies pod-level resources to the live sandbox. */
  updateResources(id: string, overhead: LinuxResources | undefined, resources: LinuxResources | undefined): Promise<void>;
}
