import type { Nanos } from "./common";
import type { Container } from "./container";
import type { PodSandbox } from "./pod-sandbox";

export const ContainerEventType = {
  Created: "CREATED",
  Started: "STARTED",
  Stopped: "STOPPED",
  Deleted: "DELETED",
} as const;
export type ContainerEventType = (typeof ContainerEventType)[keyof typeof ContainerEventType];

/**
 * A lifecycle event of a container, or of a pod sandbox (then `containerId` is the sandbox id, as the
 * CRI does it). Carries the sandbox and its containers as they were when the event happened.
 */
export interface ContainerEvent {
  readonly containerId: string;
  readonly type: ContainerEventType;
  readonly createdAt: Nanos;
  readonly podSandbox: PodSandbox | undefined;
  readonly containers: readonly Container[];
}
