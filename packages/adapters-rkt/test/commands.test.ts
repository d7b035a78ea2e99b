import {
  appAddArgs,
  appName,
  canonicalName,
  capabilities,
  fetchName,
  loggableArgv,
  parseContainerId,
  parseDockerRef,
  RktRunner,
  rktError,
  sandboxArgs,
  sliceOf,
} from "@rktlet/adapters-rkt";
import type { ContainerSpec, PodSandboxSpec } from "@rktlet/core";
import { containerSpec, podSandboxSpec } from "@rktlet/testkit";
import { toPodSandbox } from "../src/mapping";
import { fixture } from "./fixtures";

/** Annotations rktlet adds beyond what the original did (the recorded argv predate them). */
const EXTRA_RESERVED =
  /^--user-annotation=k8s\.io\/reserved\/(pod-created-at|unit-name|log-directory|namespace-options|runtime-handler|container-name|container-attempt|log-path|privileged)=/;

/** The pod of the recorded sandbox-b invocation. */
function podSpec(over: Partial<PodSandboxSpec>): PodSandboxSpec {
  return podSandboxSpec("pod-b", {
    metadata: { name: "pod-b", uid: "uid-b", namespace: "kube-system", attempt: 1 },
    logDirectory: "/var/log/pods/b",
    dns: { servers: ["10.96.0.10"], searches: ["default.svc.cluster.local"], options: ["ndots:5"] },
    portMappings: [{ protocol: "TCP", containerPort: 80, hostPort: 18080, hostIp: "" }],
    labels: { app: "b" },
    ...over,
  });
}

const ctx = {
  uuidFile: "TMP/b.uuid",
  rawLogDir: "LOGDIR",
  stage1Name: "coreos.com/rkt/stage1-host:1.30.0+git-dirty",
  stage1Allowed: ["coreos.com/rkt/stage1-kvm:1.30.0"],
  net: "",
  nodeHostname: "rktlet-node",
  unitName: "rktlet-x",
  createdAtNs: 1n,
};

describe("command lines, exactly as the contract and the recorded real invocations give them", () => {
  test("global flags follow the first subcommand word", () => {
    const runner = new RktRunner({ rktPath: "rkt", dataDir: "D", insecureOptions: ["image", "ondisk"], commandTimeoutMs: 1000 });
    expect(runner.argv("app", ["sandbox", "--x"])).toEqual([
      "rkt",
      "app",
      "--debug=false",
      "--dir=D",
      "--insecure-options=image,ondisk",
      "sandbox",
      "--x",
    ]);
    expect(runner.argv("list", ["--format=json"])).toEqual(fixture("list-0-pods").argv);
    expect(runner.argv("stop", ["--force=false", "11111111-2222-3333-4444-555555555555"])).toEqual(fixture("stop-pod-missing").argv);
    expect(
      runner.argv("image", ["fetch", "--pull-policy=update", "--full=true", "docker://127.0.0.1:5000/library/busybox:latest"], {
        insecureOptions: ["image", "ondisk", "http"],
      }),
    ).toEqual(fixture("image-fetch-update-first").argv);
  });

  test("rkt app sandbox on the default network with DNS and a port (fixture sandbox-b)", () => {
    const ours = sandboxArgs(podSpec({}), ctx);
    const recorded = fixture("sandbox-b").argv;
    expect(ours.filter((a) => !EXTRA_RESERVED.test(a))).toEqual(recorded.slice(recorded.indexOf("sandbox") + 1));
    expect(ours).toContain("--user-annotation=k8s.io/reserved/unit-name=rktlet-x");
    expect(ours).toContain("--user-annotation=k8s.io/reserved/namespace-options=network=POD,pid=CONTAINER,ipc=POD");
  });

  test("rkt app sandbox on the host network (fixture sandbox-a, less the --debug that made journals verbose)", () => {
    const ours = sandboxArgs(
      podSpec({
        metadata: { name: "pod-a", uid: "uid-a", namespace: "default", attempt: 0 },
        hostname: "ignored-for-host-network",
        dns: undefined,
        portMappings: [{ protocol: "TCP", containerPort: 80, hostPort: 8080, hostIp: "" }],
        labels: { app: "a" },
        annotations: { note: "hello" },
        namespaceOptions: { network: "NODE", pid: "CONTAINER", ipc: "POD", targetId: "" },
      }),
      { ...ctx, uuidFile: "TMP/a.uuid" },
    );
    const recorded = fixture("sandbox-a").argv;
    expect(recorded.slice(0, recorded.indexOf("sandbox"))).toContain("--debug");
    expect(ours.filter((a) => !EXTRA_RESERVED.test(a))).toEqual(recorded.slice(recorded.indexOf("sandbox") + 1));
  });

  test("a pod may pick only an allowed stage1; IPv6 host ports cannot be expressed to rkt", () => {
    const override = { "rkt.alpha.kubernetes.io/stage1-name-override": "evil.example.com/stage1:1" };
    expect(() => sandboxArgs(podSpec({ annotations: override }), ctx)).toThrow(/is not allowed on this node/);
    expect(() => sandboxArgs(podSpec({ annotations: override }), { ...ctx, stage1Allowed: [] })).toThrow(/--rkt-stage1-allowed/);
    const v6 = [{ protocol: "TCP" as const, containerPort: 80, hostPort: 8080, hostIp: "::1" }];
    expect(() => sandboxArgs(podSpec({ portMappings: v6 }), ctx)).toThrow(/config\.port_mappings\[0\]\.host_ip/);
  });

  test("a literal --- argument is refused; environment values never reach the log", () => {
    expect(() => appAddArgs(containerSpec("c", { command: ["sh"], args: ["-c", "---"] }), { appName: "0-c", rawLogPath: "x" })).toThrow(
      /config\.args\[1\]/,
    );
    expect(loggableArgv(["rkt", "--environment=DB_PASSWORD=hunter2", "--environment=EMPTY=", "--name=x"])).toEqual([
      "rkt",
      "--environment=DB_PASSWORD=[redacted]",
      "--environment=EMPTY=[redacted]",
      "--name=x",
    ]);
  });

  test("privileged pods replace the insecure options; an allowed stage1 override wins", () => {
    const args = sandboxArgs(
      podSpec({ privileged: true, annotations: { "rkt.alpha.kubernetes.io/stage1-name-override": "coreos.com/rkt/stage1-kvm:1.30.0" } }),
      ctx,
    );
    expect(args).toContain("--insecure-options=all-run");
    expect(args).toContain("--stage1-name=coreos.com/rkt/stage1-kvm:1.30.0");
    expect(args).not.toContain(`--stage1-name=${ctx.stage1Name}`);
  });

  test("cgroup parents must be systemd slices", () => {
    expect(sliceOf("")).toBe("");
    expect(sliceOf("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice")).toBe("kubepods-besteffort-pod1.slice");
    expect(() => sliceOf("/kubepods/besteffort/pod1")).toThrow(/--cgroup-driver=systemd/);
  });

  test("rkt app add with the full flag set (fixture app-add-full)", () => {
    const spec: ContainerSpec = {
      metadata: { name: "full2", attempt: 0 },
      image: { image: "127.0.0.1:5000/library/busybox:latest", annotations: {} },
      command: ["/bin/sh"],
      args: ["-c", 'id; pwd; echo FOO=$FOO; touch /ro || echo rofail; grep -E "^Cap(Eff|Bnd)" /proc/self/status; sleep 100000'],
      workingDir: "/tmp",
      envs: [
        { key: "FOO", value: "bar" },
        { key: "EMPTY", value: "" },
      ],
      mounts: [],
      devices: [],
      labels: { tier: "backend" },
      annotations: { team: "blue" },
      logPath: "full2/0.log",
      // the recorded invocation kept stdin open, as rktlet does for a container that asks for stdin
      stdin: true,
      stdinOnce: false,
      tty: false,
      resources: {
        cpuPeriod: 100000n,
        cpuQuota: 25000n,
        cpuShares: 512n,
        memoryLimitInBytes: 67108864n,
        oomScoreAdj: 100n,
        cpusetCpus: "",
        cpusetMems: "",
        memorySwapLimitInBytes: 0n,
        unified: {},
      },
      security: {
        privileged: false,
        readonlyRootfs: true,
        runAsUser: 1000n,
        runAsUsername: "",
        runAsGroup: undefined,
        supplementalGroups: [2000n, 3000n],
        addCapabilities: [],
        dropCapabilities: ["XXX_NOT_A_CAP"],
        noNewPrivs: false,
        seccomp: { type: "Unconfined", localhostRef: "" },
      },
    };
    expect(appName(spec.metadata)).toBe("0-full2");
    const ours = appAddArgs(spec, { appName: "0-full2", rawLogPath: "0-full2_0.log" });
    const recorded = fixture("app-add-full").argv;
    // without stdin the app reads EOF rather than a stdin nobody can write to
    expect(appAddArgs({ ...spec, stdin: false }, { appName: "0-full2", rawLogPath: "0-full2_0.log" })).toContain("--stdin=null");
    expect(ours.filter((a) => !EXTRA_RESERVED.test(a))).toEqual(recorded.slice(recorded.indexOf("add") + 3));
  });

  test("commands, args and the `-- … ---` framing rkt requires", () => {
    const base = { metadata: { name: "c", attempt: 0 } } as const;
    const minimal = (over: Partial<ContainerSpec>) =>
      appAddArgs({ ...(baseSpec as ContainerSpec), ...base, ...over }, { appName: "0-c", rawLogPath: "0-c.log" }).filter(
        (a) => !a.startsWith("--user-annotation") && !a.startsWith("--annotation"),
      );
    expect(minimal({ command: ["/bin/true"], args: [] }).slice(-3)).toEqual(["--exec=/bin/true", "--", "---"]);
    expect(minimal({ command: [], args: ["-c", "x"] }).slice(-4)).toEqual(["--", "-c", "x", "---"]);
    expect(minimal({ command: [], args: [] }).some((a) => a === "--" || a.startsWith("--exec"))).toBe(false);
  });

  test("mount paths that would break rkt's volume syntax are refused; privileged apps keep every capability", () => {
    const mounts = [
      { containerPath: "/data", hostPath: "/srv/a,kind=host", readonly: false, selinuxRelabel: false, propagation: "PRIVATE" as const },
    ];
    expect(() => appAddArgs({ ...(baseSpec as ContainerSpec), mounts }, { appName: "0-c", rawLogPath: "x" })).toThrow(
      /config\.mounts\[0\]\.host_path/,
    );
    const ok = appAddArgs(
      { ...(baseSpec as ContainerSpec), mounts: [{ ...mounts[0], hostPath: "/srv/a" } as never] },
      { appName: "0-c", rawLogPath: "x" },
    );
    expect(ok).toContain("--mnt-volume=name=vol-0,kind=host,source=/srv/a,target=/data,readOnly=false");
    const priv = appAddArgs(
      { ...(baseSpec as ContainerSpec), security: { ...(baseSpec as ContainerSpec).security, privileged: true } },
      { appName: "0-c", rawLogPath: "x" },
    );
    expect(priv.find((a) => a.startsWith("--caps-retain="))).toContain("CAP_SYS_ADMIN");
    expect(capabilities(["NET_ADMIN"], ["ALL"])).toEqual(["CAP_NET_ADMIN"]);
  });

  test("app names: attempt prefix, ACName alphabet, no case collisions", () => {
    expect(appName({ name: "web", attempt: 2 })).toBe("2-web");
    expect(appName({ name: "Web", attempt: 0 })).not.toBe(appName({ name: "web", attempt: 0 }));
    expect(appName({ name: "my_app.v1", attempt: 0 })).toMatch(/^0-my-app-v1-[0-9a-f]{8}$/);
    expect(parseContainerId("c0a11ab3-2b8f-4e7e-8283-a25072cde53c:0-web")).toEqual({
      podUuid: "c0a11ab3-2b8f-4e7e-8283-a25072cde53c",
      app: "0-web",
    });
    expect(parseContainerId("nocolon")).toBeUndefined();
  });

  test("image names are canonicalised the docker way, every form to one", () => {
    for (const form of [
      "busybox",
      "docker://busybox",
      "busybox:latest",
      "docker.io/library/busybox",
      "index.docker.io/library/busybox:latest",
    ]) {
      expect(canonicalName(parseDockerRef(form))).toBe("docker.io/library/busybox:latest");
    }
    expect(fetchName("127.0.0.1:5000/library/busybox")).toBe("docker://127.0.0.1:5000/library/busybox:latest");
    expect(fetchName("quay.io/coreos/etcd:v3.5")).toBe("docker://quay.io/coreos/etcd:v3.5");
    expect(fetchName("nginx@sha256:abc")).toBe("docker://docker.io/library/nginx@sha256:abc");
    expect(fetchName("sha512-173fc1ad39a4")).toBe("sha512-173fc1ad39a4");
  });
});

const baseSpec: Partial<ContainerSpec> = containerSpec("c", { command: [], logPath: "" });

describe("an rkt that cannot be spawned", () => {
  const secret = "DB_PASSWORD=hunter2";
  const runner = (rktPath: string) => new RktRunner({ rktPath, dataDir: "D", insecureOptions: [], commandTimeoutMs: 5000 });
  // over the kernel's 128 KiB per argument: with an existing binary the spawn fails at once (E2BIG)
  const huge = "x".repeat(200 * 1024);

  test("streaming: UNAVAILABLE, not a crash on missing pipes or an unhandled rejection", async () => {
    for (const path of ["/nonexistent/rkt", "/bin/true"]) {
      expect(() => runner(path).spawnStreaming("app", ["exec", huge])).toThrow(expect.objectContaining({ kind: "Unavailable" }));
    }
    await new Promise((r) => setTimeout(r, 100)); // a stray rejection would surface here and fail the run
  });

  test("run: a failed result whose reason and error carry no part of the command line", async () => {
    for (const [path, args] of [
      ["/nonexistent/rkt", ["add", `--environment=${secret}`]],
      ["/bin/true", ["add", `--environment=${secret}`, huge]],
    ] as const) {
      const r = await runner(path).run("app", args);
      expect(r.spawnError).toMatch(/^spawn( \/\S+)? (ENOENT|E2BIG)$/);
      expect(rktError(r, "creating container x").message).not.toContain("hunter2");
    }
  });
});

test("a pod's privileged flag is recorded either way, and a pod from before it was recorded may hold privileged containers", () => {
  const ctxArgs = (privileged: boolean) =>
    sandboxArgs(
      { ...podSandboxSpec("p"), privileged },
      {
        uuidFile: "/u",
        rawLogDir: "/r",
        stage1Name: "",
        stage1Allowed: [],
        net: "",
        nodeHostname: "h",
        unitName: "rktlet-x",
        createdAtNs: 1n,
      },
    );
  expect(ctxArgs(true)).toContain("--user-annotation=k8s.io/reserved/privileged=true");
  expect(ctxArgs(false)).toContain("--user-annotation=k8s.io/reserved/privileged=false");
  const rktPod = (annotations: Record<string, string>) => ({
    uuid: "u",
    state: "running",
    networks: [],
    apps: [],
    createdAt: undefined,
    startedAt: undefined,
    userAnnotations: { "k8s.io/reserved/pod-uid": "x", ...annotations },
    userLabels: {},
  });
  expect(toPodSandbox(rktPod({ "k8s.io/reserved/privileged": "false" })).privileged).toBe(false);
  expect(toPodSandbox(rktPod({ "k8s.io/reserved/privileged": "true" })).privileged).toBe(true);
  expect(toPodSandbox(rktPod({})).privileged).toBe(true);
});
