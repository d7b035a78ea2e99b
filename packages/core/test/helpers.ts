import { type ContainerSpec, createCriRuntime, type PodSandboxSpec } from "@rktlet/core";
import { createFakeBackend, ManualClock } from "@rktlet/testkit";

export function sandboxSpec(name = "web", overrides: Partial<PodSandboxSpec> = {}): PodSandboxSpec {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 },
    hostname: name,
    logDirectory: `/var/log/pods/default_${name}`,
    dns: undefined,
    portMappings: [],
    labels: { app: name },
    annotations: {},
    cgroupParent: "",
    namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD", targetId: "" },
    privileged: false,
    sysctls: {},
    runtimeHandler: "",
    ...overrides,
  };
}

export function containerSpec(name = "app", overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    metadata: { name, attempt: 0 },
    image: { image: "busybox", annotations: {} },
    command: ["sh", "-c", "sleep 3600"],
    args: [],
    workingDir: "",
    envs: [],
    mounts: [],
    devices: [],
    labels: { tier: name },
    annotations: {},
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
      seccomp: { type: "Unconfined", localhostRef: "" },
    },
    ...overrides,
  };
}

export function setup() {
  const clock = new ManualClock();
  const backend = createFakeBackend({ clock, images: ["busybox"] });
  const runtime = createCriRuntime(backend, { clock, streamingBaseUrl: () => "http://127.0.0.1:10241" });
  return { clock, backend, runtime };
}

/** Resolves with the error a promise rejects with; fails the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<{ kind: string; field?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { kind: string; field?: string; message: string };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
