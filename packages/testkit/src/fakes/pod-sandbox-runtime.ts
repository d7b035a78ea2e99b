import {
  type Clock,
  type LinuxResources,
  notFound,
  type PodSandbox,
  type PodSandboxRuntime,
  type PodSandboxSpec,
  PodSandboxState,
  systemClock,
} from "@rktlet/core";
import { Faults } from "./fault-injection";
import { newId } from "./ids";

export interface FakePodSandbox extends PodSandbox {
  readonly spec: PodSandboxSpec;
  readonly resources: LinuxResources | undefined;
}

/** In-memory pod sandboxes with real state transitions; each gets an address in 10.88.0.0/16. */
export class FakePodSandboxRuntime implements PodSandboxRuntime {
  readonly faults = new Faults<"run" | "stop" | "remove" | "list" | "updateResources">();
  private readonly pods = new Map<string, FakePodSandbox>();
  private nextIp = 2;
  /** How many times list() ran: tests use it to check hot paths are not repeated per object. */
  listCalls = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async run(spec: PodSandboxSpec): Promise<string> {
    this.faults.check("run");
    const id = newId();
    const n = this.nextIp++;
    const hostNetwork = spec.namespaceOptions.network === "NODE";
    this.pods.set(id, {
      id,
      spec,
      metadata: spec.metadata,
      state: PodSandboxState.Ready,
      createdAt: this.clock.now(),
      labels: { ...spec.labels },
      annotations: { ...spec.annotations },
      network: hostNetwork ? undefined : { ip: `10.88.${(n >> 8) & 255}.${n & 255}`, additionalIps: [] },
      namespaceOptions: spec.namespaceOptions,
      runtimeHandler: spec.runtimeHandler,
      logDirectory: spec.logDirectory,
      privileged: spec.privileged,
      resources: undefined,
    });
    return id;
  }

  async stop(id: string): Promise<void> {
    this.faults.check("stop");
    const pod = this.get(id);
    this.pods.set(id, { ...pod, state: PodSandboxState.NotReady });
  }

  async remove(id: string): Promise<void> {
    this.faults.check("remove");
    this.get(id);
    this.pods.delete(id);
  }

  async list(): Promise<readonly PodSandbox[]> {
    this.faults.check("list");
    this.listCalls++;
    return [...this.pods.values()];
  }

  async updateResources(id: string, _overhead: LinuxResources | undefined, resources: LinuxResources | undefined): Promise<void> {
    this.faults.check("updateResources");
    this.pods.set(id, { ...this.get(id), resources });
  }

  get(id: string): FakePodSandbox {
    const pod = this.pods.get(id);
    if (!pod) throw notFound("pod sandbox", id);
    return pod;
  }

  get size(): number {
    return this.pods.size;
  }
}
