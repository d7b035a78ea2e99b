import type * as api from "@rktlet/cri-api";

/** Request builders with every field set, as a kubelet would send them. */
export function podConfig(name: string, overrides: Partial<api.PodSandboxConfig> = {}): api.PodSandboxConfig {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 },
    hostname: name,
    logDirectory: `/var/log/pods/default_${name}`,
    dnsConfig: { servers: ["10.96.0.10"], searches: ["default.svc.cluster.local"], options: ["ndots:5"] },
    portMappings: [{ protocol: 0, containerPort: 80, hostPort: 8080, hostIp: "" }],
    labels: { app: name },
    annotations: { "kubernetes.io/config.source": "api" },
    linux: undefined,
    windows: undefined,
    ...overrides,
  };
}

export function containerConfig(name: string, overrides: Partial<api.ContainerConfig> = {}): api.ContainerConfig {
  return {
    metadata: { name, attempt: 0 },
    image: { image: "busybox", annotations: {}, userSpecifiedImage: "busybox", runtimeHandler: "", imageRef: "" },
    command: ["sh", "-c", "echo hello; sleep 3600"],
    args: [],
    workingDir: "",
    envs: [{ key: "GREETING", value: Buffer.from("hello") }],
    mounts: [],
    devices: [],
    labels: { tier: name },
    annotations: {},
    logPath: `${name}/0.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: undefined,
    windows: undefined,
    CDIDevices: [],
    stopSignal: 0,
    ...overrides,
  };
}
