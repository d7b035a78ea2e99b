import { alreadyExists, ErrorKind, failedPrecondition, invalidArgument, notFound, RktletError } from "../errors";
import {
  type Container,
  type ContainerFilter,
  type ContainerSpec,
  ContainerState,
  type ExecSyncResult,
  type LinuxResources,
} from "../model/container";
import { type ContainerEventType, ContainerEventType as EventType } from "../model/events";
import { type PodSandbox, PodSandboxState } from "../model/pod-sandbox";
import type { AppRuntime } from "../ports/app-runtime";
import type { Clock } from "../ports/clock";
import type { ImageStore } from "../ports/image-store";
import type { PodSandboxRuntime } from "../ports/pod-sandbox-runtime";
import type { EventHub } from "./event-hub";
import { filterContainers, findById } from "./filters";
import { KeyedLock, NameReservations } from "./keyed-lock";
import { assertId, checkText, ensure } from "./rules";
import { validateContainerSpec } from "./spec-validation";

/** ExecSync output is capped per stream, as kubelet's probes expect bounded answers. */
export const EXEC_SYNC_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * A container cannot outlive its sandbox: whatever a backend says, a container of a stopped or vanished
 * sandbox is reported EXITED.
 */
export function reconcileContainerStates(containers: readonly Container[], sandboxes: readonly PodSandbox[]): Container[] {
  const ready = new Set(sandboxes.filter((s) => s.state === PodSandboxState.Ready).map((s) => s.id));
  return containers.map((c) =>
    ready.has(c.podSandboxId) || c.state === ContainerState.Exited
      ? c
      : {
          ...c,
          state: ContainerState.Exited,
          reason: c.reason || "PodSandboxNotReady",
          message: c.message || "the pod sandbox is not running",
        },
  );
}

/** CRI container semantics over any AppRuntime. */
export class ContainerService {
  private readonly names = new NameReservations();

  constructor(
    private readonly sandboxes: PodSandboxRuntime,
    private readonly apps: AppRuntime,
    private readonly images: ImageStore,
    private readonly events: EventHub,
    private readonly clock: Clock,
    private readonly locks: KeyedLock = new KeyedLock(),
  ) {}

  async create(podSandboxId: string, spec: ContainerSpec): Promise<string> {
    assertId("pod_sandbox_id", podSandboxId);
    validateContainerSpec(spec);
    const sandbox = findById(await this.sandboxes.list(), podSandboxId);
    if (!sandbox) throw notFound("pod sandbox", podSandboxId);
    if (sandbox.state !== PodSandboxState.Ready) throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready`);
    // the CRI: a privileged container needs a privileged pod (kubelet never asks otherwise)
    if (spec.security.privileged && !sandbox.privileged)
      throw invalidArgument(
        "config.linux.security_context.privileged",
        `pod sandbox ${sandbox.id} is not privileged, so none of its containers may be`,
      );
    const image = await this.images.find(spec.image.image);
    if (!image) throw notFound("image", spec.image.image);
    const key = `${sandbox.id}/${spec.metadata.name}/${spec.metadata.attempt}`;
    const release = this.names.tryReserve(key);
    if (!release)
      throw alreadyExists(
        `container name "${spec.metadata.name}" (attempt ${spec.metadata.attempt}) is being created in pod sandbox ${sandbox.id}`,
      );
    try {
      return await this.locks.run(sandbox.id, async () => {
        const clash = (await this.apps.list()).find(
          (c) => c.podSandboxId === sandbox.id && c.metadata.name === spec.metadata.name && c.metadata.attempt === spec.metadata.attempt,
        );
        if (clash)
          throw alreadyExists(`container name "${spec.metadata.name}" (attempt ${spec.metadata.attempt}) is already used by ${clash.id}`);
        const id = await this.apps.create(sandbox, spec, image);
        await this.announce(id, EventType.Created);
        return id;
      });
    } finally {
      release();
    }
  }

  async start(id: string): Promise<void> {
    const c = await this.status(id);
    await this.locks.run(c.podSandboxId, async () => {
      const now = await this.status(c.id);
      if (now.state !== ContainerState.Created)
        throw failedPrecondition(`container ${c.id} is ${now.state}, only a CREATED container can be started`);
      await this.apps.start(c.id);
      await this.announce(c.id, EventType.Started);
    });
  }

  /** Stops a running container within `timeoutSeconds`. Unknown, created or exited containers are success. */
  async stop(id: string, timeoutSeconds: number): Promise<void> {
    assertId("container_id", id);
    if (!Number.isFinite(timeoutSeconds)) throw invalidArgument("timeout", "must be a number of seconds");
    const c = await this.find(id);
    if (!c) return;
    await this.locks.run(c.podSandboxId, async () => {
      const now = await this.find(c.id);
      if (now?.state !== ContainerState.Running && now?.state !== ContainerState.Unknown) return;
      await this.apps.stop(c.id, Math.max(0, timeoutSeconds));
      await this.announce(c.id, EventType.Stopped);
    });
  }

  /** Removes a container, force-stopping it first if it runs. Unknown containers are success. */
  async remove(id: string): Promise<void> {
    assertId("container_id", id);
    const c = await this.find(id);
    if (!c) return;
    await this.stop(c.id, 0);
    await this.locks.run(c.podSandboxId, async () => {
      const now = await this.find(c.id);
      if (!now) return;
      await this.apps.remove(c.id);
      this.reportedExits.delete(c.id);
      const sandbox = findById(await this.sandboxes.list(), c.podSandboxId);
      this.events.publish({
        containerId: c.id,
        type: EventType.Deleted,
        createdAt: this.clock.now(),
        podSandbox: sandbox,
        containers: [now],
      });
    });
  }

  async status(id: string): Promise<Container> {
    assertId("container_id", id);
    const c = await this.find(id);
    if (!c) throw notFound("container", id);
    return c;
  }

  async list(filter?: ContainerFilter): Promise<Container[]> {
    return filterContainers(await this.all(), filter);
  }

  async execSync(id: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    if (cmd.length === 0) throw invalidArgument("cmd", "must name a command");
    for (const [i, arg] of cmd.entries()) ensure(`cmd[${i}]`, arg, checkText);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0)
      throw invalidArgument("timeout", "must be zero or a positive number of seconds");
    const c = await this.requireRunning(id);
    const result = await this.apps.execSync(c.id, cmd, { timeoutMs: timeoutSeconds * 1000, maxOutputBytes: EXEC_SYNC_MAX_OUTPUT_BYTES });
    if (result.timedOut) {
      throw new RktletError(
        ErrorKind.DeadlineExceeded,
        `command ${JSON.stringify(cmd[0])} in container ${c.id} timed out after ${timeoutSeconds}s`,
      );
    }
    return result;
  }

  async reopenLog(id: string): Promise<void> {
    const c = await this.requireRunning(id);
    await this.apps.reopenLog(c.id);
  }

  async updateResources(id: string, resources: LinuxResources): Promise<void> {
    const c = await this.status(id);
    if (c.state === ContainerState.Exited) throw failedPrecondition(`container ${c.id} has exited; its resources cannot change`);
    await this.apps.updateResources(c.id, resources);
  }

  /** Checks the container exists and runs; used by exec, attach and log reopening. */
  async requireRunning(id: string): Promise<Container> {
    const c = await this.status(id);
    if (c.state !== ContainerState.Running) throw failedPrecondition(`container ${c.id} is not running (state ${c.state})`);
    return c;
  }

  /**
   * Publishes STOPPED for containers that exited on their own. Backends call this through
   * `onContainerChange`; containers already reported as stopped by this process are not repeated.
   */
  async noticeChange(id: string): Promise<void> {
    const c = await this.find(id);
    if (!c || c.state !== ContainerState.Exited) return;
    if (this.reportedExits.has(c.id)) return;
    await this.announce(c.id, EventType.Stopped);
  }

  private readonly reportedExits = new Set<string>();

  private async all(): Promise<Container[]> {
    const [containers, sandboxes] = await Promise.all([this.apps.list(), this.sandboxes.list()]);
    return reconcileContainerStates(containers, sandboxes);
  }

  private async find(id: string): Promise<Container | undefined> {
    return findById(await this.all(), id);
  }

  private async announce(id: string, type: ContainerEventType): Promise<void> {
    if (type === EventType.Stopped) this.reportedExits.add(id);
    if (this.events.subscriberCount === 0) return;
    const c = await this.find(id);
    const sandbox = c && findById(await this.sandboxes.list(), c.podSandboxId);
    const siblings = sandbox ? (await this.all()).filter((x) => x.podSandboxId === sandbox.id) : [];
    this.events.publish({ containerId: id, type, createdAt: this.clock.now(), podSandbox: sandbox, containers: siblings });
  }
}
