import { alreadyExists, failedPrecondition, notFound } from "../errors";
import type { Container, LinuxResources } from "../model/container";
import { type ContainerEventType, ContainerEventType as EventType } from "../model/events";
import type { PodSandbox, PodSandboxFilter, PodSandboxSpec } from "../model/pod-sandbox";
import { PodSandboxState } from "../model/pod-sandbox";
import type { Clock } from "../ports/clock";
import type { PodSandboxRuntime } from "../ports/pod-sandbox-runtime";
import type { ContainerService } from "./containers";
import type { EventHub } from "./event-hub";
import { filterSandboxes, findById } from "./filters";
import { KeyedLock, NameReservations } from "./keyed-lock";
import { assertId } from "./rules";
import { validatePodSandboxSpec } from "./spec-validation";

export interface PodSandboxStatusResult {
  readonly sandbox: PodSandbox;
  readonly containers: readonly Container[];
}

/** The key under which a pod name is unique on a node, as kubelet forms it. */
export function sandboxNameKey(m: PodSandbox["metadata"]): string {
  return `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;
}

/** CRI pod sandbox semantics over any PodSandboxRuntime. */
export class PodSandboxService {
  private readonly names = new NameReservations();

  constructor(
    private readonly sandboxes: PodSandboxRuntime,
    private readonly containers: ContainerService,
    private readonly events: EventHub,
    private readonly clock: Clock,
    /** Shared with ContainerService so that work on one pod is serialised across both. */
    private readonly locks: KeyedLock = new KeyedLock(),
  ) {}

  async run(spec: PodSandboxSpec): Promise<string> {
    validatePodSandboxSpec(spec);
    const key = sandboxNameKey(spec.metadata);
    const release = this.names.tryReserve(key);
    if (!release) throw alreadyExists(`pod sandbox name "${key}" is being created by another request`);
    try {
      const existing = (await this.sandboxes.list()).find((s) => sandboxNameKey(s.metadata) === key);
      if (existing) throw alreadyExists(`pod sandbox name "${key}" is already used by sandbox ${existing.id}`);
      const id = await this.sandboxes.run(spec);
      await this.announce(id, [EventType.Created, EventType.Started]);
      return id;
    } finally {
      release();
    }
  }

  /** Stops the sandbox and force-stops its containers. Unknown or stopped sandboxes are success. */
  async stop(id: string): Promise<void> {
    assertId("pod_sandbox_id", id);
    const sandbox = findById(await this.sandboxes.list(), id);
    if (!sandbox) return;
    for (const c of await this.containersOf(sandbox.id)) await this.containers.stop(c.id, 0);
    await this.locks.run(sandbox.id, async () => {
      const current = findById(await this.sandboxes.list(), sandbox.id);
      if (current?.state !== PodSandboxState.Ready) return;
      await this.sandboxes.stop(sandbox.id);
      await this.announce(sandbox.id, [EventType.Stopped]);
    });
  }

  /** Removes the sandbox and all its containers, stopping them first. Unknown sandboxes are success. */
  async remove(id: string): Promise<void> {
    assertId("pod_sandbox_id", id);
    const sandbox = findById(await this.sandboxes.list(), id);
    if (!sandbox) return;
    await this.stop(sandbox.id);
    for (const c of await this.containersOf(sandbox.id)) await this.containers.remove(c.id);
    await this.locks.run(sandbox.id, async () => {
      const current = findById(await this.sandboxes.list(), sandbox.id);
      if (!current) return; // removed while we waited
      await this.sandboxes.remove(current.id);
      this.events.publish({
        containerId: current.id,
        type: EventType.Deleted,
        createdAt: this.clock.now(),
        podSandbox: current,
        containers: [],
      });
    });
  }

  /** Applies pod-level resources (kubelet's in-place pod resize) to a ready sandbox. */
  async updateResources(id: string, overhead: LinuxResources | undefined, resources: LinuxResources | undefined): Promise<void> {
    const { sandbox } = await this.status(id);
    if (sandbox.state !== PodSandboxState.Ready) throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready`);
    await this.sandboxes.updateResources(sandbox.id, overhead, resources);
  }

  async status(id: string): Promise<PodSandboxStatusResult> {
    assertId("pod_sandbox_id", id);
    const found = await this.statusOrUndefined(id);
    if (!found) throw notFound("pod sandbox", id);
    return found;
  }

  async list(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    return filterSandboxes(await this.sandboxes.list(), filter);
  }

  private async statusOrUndefined(id: string): Promise<PodSandboxStatusResult | undefined> {
    const sandbox = findById(await this.sandboxes.list(), id);
    if (!sandbox) return undefined;
    return { sandbox, containers: await this.containersOf(sandbox.id) };
  }

  private async containersOf(sandboxId: string): Promise<Container[]> {
    return this.containers.list({ podSandboxId: sandboxId });
  }

  /** Publishes events for the sandbox (or one of its containers) with the state as it is now. */
  private async announce(sandboxId: string, types: readonly ContainerEventType[]): Promise<void> {
    if (this.events.subscriberCount === 0) return;
    const now = await this.statusOrUndefined(sandboxId);
    for (const type of types) {
      this.events.publish({
        containerId: sandboxId,
        type,
        createdAt: this.clock.now(),
        podSandbox: now?.sandbox,
        containers: now?.containers ?? [],
      });
    }
  }
}
