import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { type RktBackend, type RktConfig, createRktBackend } from "@rktlet/adapters-rkt";
import { type ContainerSpec, type CriRuntime, type PodSandboxSpec, createCriRuntime } from "@rktlet/core";
import { rktSimPath } from "@rktlet/testkit";

/** A real rkt backend over the rkt simulator, in a temporary directory (short, for unix socket paths). */
export interface SimEnv {
  readonly dir: string;
  readonly backend: RktBackend;
  readonly runtime: CriRuntime;
  readonly logDir: string;
  /** A second backend over the same directories: what a restarted daemon sees. */
  restart(): Promise<{ backend: RktBackend; runtime: CriRuntime }>;
  close(): Promise<void>;
}

export async function startSimEnv(config: Partial<RktConfig> = {}): Promise<SimEnv> {
  const dir = mkdtempSync(join(tmpdir(), "rk-"));
  const make = async () => {
    const backend = createRktBackend({
      config: {
        rktPath: rktSimPath(),
        dataDir: join(dir, "d"),
        stateDir: join(dir, "s"),
        sharedMount: false,
        readyTimeoutMs: 20_000,
        logPollMs: 50,
        watchMs: 250,
        ...config,
      },
      units: new ProcessUnitManager({ stateDir: join(dir, "s", "units") }),
    });
    await backend.start();
    return { backend, runtime: createCriRuntime(backend) };
  };
  const first = await make();
  const opened = [first];
  return {
    dir,
    ...first,
    logDir: join(dir, "logs"),
    async restart() {
      const next = await make();
      opened.push(next);
      return next;
    },
    async close() {
      for (const o of opened) {
        for (const s of await o.backend.sandboxes.list().catch(() => [])) {
          await o.runtime.sandboxes.remove(s.id).catch(() => undefined);
        }
        o.runtime.close();
        await o.backend.close();
      }
      for (const u of await new ProcessUnitManager({ stateDir: join(dir, "s", "units") }).list()) {
        await new ProcessUnitManager({ stateDir: join(dir, "s", "units") }).stop(u.name, 2000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function pod(name: string, logDir: string, over: Partial<PodSandboxSpec> = {}): PodSandboxSpec {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 },
    hostname: name,
    logDirectory: join(logDir, name),
    dns: undefined,
    portMappings: [],
    labels: { app: name },
    annotations: { note: "hello" },
    cgroupParent: "",
    namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD", targetId: "" },
    privileged: false,
    sysctls: {},
    runtimeHandler: "",
    ...over,
  };
}

export function container(name: string, script: string, over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    metadata: { name, attempt: 0 },
    image: { image: "busybox", annotations: {} },
    command: ["/bin/sh", "-c", script],
    args: [],
    workingDir: "",
    envs: [{ key: "GREETING", value: "hello" }],
    mounts: [],
    devices: [],
    labels: { tier: name },
    annotations: { owner: "test" },
    logPath: `${name}/0.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    resources: undefined,
    security: {
      privileged: false,
      readonlyRootfs: false,
      runAsUser: undefined,
      runAsUsername: "",
      runAsGroup: undefined,
      supplementalGroups: [],
      addCapabilities: [],
      dropCapabilities: [],
      noNewPrivs: false,
      seccomp: { type: "RuntimeDefault", localhostRef: "" },
    },
    ...over,
  };
}

export async function until<T>(fn: () => Promise<T | undefined | false>, ms = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
