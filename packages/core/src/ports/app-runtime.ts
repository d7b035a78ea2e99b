import type { Container, ContainerSpec, ExecSyncResult, LinuxResources } from "../model/container";
import type { Image } from "../model/image";
import type { PodSandbox } from "../model/pod-sandbox";

export interface ExecSyncOptions {
  /** Zero means no limit. */
  readonly timeoutMs: number;
  /** Output beyond this, per stream, is dropped. */
  readonly maxOutputBytes: number;
}

/** Runs containers as apps inside a pod sandbox. Called by core with validated, existing ids. */
export interface AppRuntime {
  create(sandbox: PodSandbox, spec: ContainerSpec, image: Image): Promise<string>;
  start(id: string): Promise<void>;
  /** Stops gracefully, forcing the app down once `timeoutSeconds` has passed (0: at once). */
  stop(id: string, timeoutSeconds: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** Every container the backend knows of. Hot path: no process per container. */
  list(): Promise<readonly Container[]>;
  /** Runs a command in the container; a timeout answers with `timedOut`, never hangs. */
  execSync(id: string, cmd: readonly string[], options: ExecSyncOptions): Promise<ExecSyncResult>;
  /** Reopens the log file at its path (kubelet renamed the old one to rotate it). */
  reopenLog(id: string): Promise<void>;
  updateResources(id: string, resources: LinuxResources): Promise<void>;
}
