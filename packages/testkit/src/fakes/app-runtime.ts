import {
  type AppRuntime,
  type Clock,
  type Container,
  type ContainerSpec,
  ContainerState,
  type ExecSyncOptions,
  type ExecSyncResult,
  failedPrecondition,
  type Image,
  type LinuxResources,
  notFound,
  type PodSandbox,
  systemClock,
} from "@rktlet/core";
import { Faults } from "./fault-injection";
import { newId } from "./ids";

/** What a fake exec answers; `delayMs` makes it slow enough to hit a timeout. */
export interface FakeExecAnswer {
  readonly stdout?: string | Uint8Array;
  readonly stderr?: string | Uint8Array;
  readonly exitCode?: number;
  readonly delayMs?: number;
}
export type FakeExecHandler = (container: Container, cmd: readonly string[]) => FakeExecAnswer | Promise<FakeExecAnswer>;

export interface FakeContainer extends Container {
  readonly spec: ContainerSpec;
  /** How many times the log was reopened (ReopenContainerLog). */
  readonly logReopens: number;
}

const bytes = (v: string | Uint8Array | undefined): Uint8Array =>
  typeof v === "string" ? new TextEncoder().encode(v) : (v ?? new Uint8Array());

/**
 * In-memory containers with real CREATED → RUNNING → EXITED transitions. Exec answers come from a
 * handler (by default: `echo` prints its arguments, `false` exits 1, `sleep N` sleeps, others succeed).
 */
export class FakeAppRuntime implements AppRuntime {
  readonly faults = new Faults<"create" | "start" | "stop" | "remove" | "list" | "execSync" | "reopenLog" | "updateResources">();
  private readonly apps = new Map<string, FakeContainer>();
  private readonly listeners = new Set<(id: string) => void>();
  execHandler: FakeExecHandler = defaultExec;
  /** Exit code a stop gives, as if the process ended on SIGTERM. */
  stopExitCode = 0;
  listCalls = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async create(sandbox: PodSandbox, spec: ContainerSpec, image: Image): Promise<string> {
    this.faults.check("create");
    const id = newId();
    const logPath = spec.logPath && sandbox.logDirectory ? `${sandbox.logDirectory.replace(/\/$/, "")}/${spec.logPath}` : "";
    this.apps.set(id, {
      id,
      spec,
      podSandboxId: sandbox.id,
      metadata: spec.metadata,
      image: spec.image,
      imageRef: image.repoDigests[0] ?? image.id,
      imageId: image.id,
      state: ContainerState.Created,
      createdAt: this.clock.now(),
      startedAt: 0n,
      finishedAt: 0n,
      exitCode: 0,
      reason: "",
      message: "",
      labels: { ...spec.labels },
      annotations: { ...spec.annotations },
      mounts: spec.mounts,
      logPath,
      resources: spec.resources,
      logReopens: 0,
    });
    return id;
  }

  async start(id: string): Promise<void> {
    this.faults.check("start");
    const c = this.get(id);
    if (c.state !== ContainerState.Created) throw failedPrecondition(`container ${id} is ${c.state}`);
    this.apps.set(id, { ...c, state: ContainerState.Running, startedAt: this.clock.now() });
  }

  async stop(id: string, _timeoutSeconds: number): Promise<void> {
    this.faults.check("stop");
    this.finish(id, this.stopExitCode, "");
  }

  async remove(id: string): Promise<void> {
    this.faults.check("remove");
    this.get(id);
    this.apps.delete(id);
  }

  async list(): Promise<readonly Container[]> {
    this.faults.check("list");
    this.listCalls++;
    return [...this.apps.values()];
  }

  async execSync(id: string, cmd: readonly string[], options: ExecSyncOptions): Promise<ExecSyncResult> {
    this.faults.check("execSync");
    const c = this.get(id);
    const answer = await this.execHandler(c, cmd);
    const delay = answer.delayMs ?? 0;
    if (options.timeoutMs > 0 && delay > options.timeoutMs) {
      await sleep(options.timeoutMs);
      return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: -1, timedOut: true };
    }
    if (delay > 0) await sleep(delay);
    const cap = (b: Uint8Array) => (b.length > options.maxOutputBytes ? b.subarray(0, options.maxOutputBytes) : b);
    return { stdout: cap(bytes(answer.stdout)), stderr: cap(bytes(answer.stderr)), exitCode: answer.exitCode ?? 0, timedOut: false };
  }

  async reopenLog(id: string): Promise<void> {
    this.faults.check("reopenLog");
    const c = this.get(id);
    this.apps.set(id, { ...c, logReopens: c.logReopens + 1 });
  }

  async updateResources(id: string, resources: LinuxResources): Promise<void> {
    this.faults.check("updateResources");
    this.apps.set(id, { ...this.get(id), resources });
  }

  /** Makes a running container exit by itself, as its process would, and tells listeners. */
  exit(id: string, exitCode: number, message = ""): void {
    this.finish(id, exitCode, message);
    for (const l of this.listeners) l(id);
  }

  onChange(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(id: string): FakeContainer {
    const c = this.apps.get(id);
    if (!c) throw notFound("container", id);
    return c;
  }

  private finish(id: string, exitCode: number, message: string): void {
    const c = this.get(id);
    if (c.state === ContainerState.Exited) return;
    this.apps.set(id, {
      ...c,
      state: ContainerState.Exited,
      finishedAt: this.clock.now(),
      exitCode,
      reason: exitCode === 0 ? "Completed" : "Error",
      message,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function defaultExec(_c: Container, cmd: readonly string[]): FakeExecAnswer {
  const [name, ...args] = cmd;
  switch (name) {
    case "echo":
      return { stdout: `${args.join(" ")}\n` };
    case "false":
      return { exitCode: 1 };
    case "sleep":
      return { delayMs: Number(args[0] ?? 0) * 1000 };
    case "sh":
      if (args[0] === "-c" && args[1]?.startsWith("exit ")) return { exitCode: Number(args[1].slice(5)) };
      return {};
    default:
      return {};
  }
}
