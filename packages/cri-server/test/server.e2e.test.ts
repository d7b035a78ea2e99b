import { type ServiceError, status } from "@grpc/grpc-js";
import * as api from "@rktlet/cri-api";
import { collect, startFakeCriServer, type TestServer } from "@rktlet/testkit";
import { containerConfig, podConfig } from "./fixtures";

/** The real server on a real unix socket, called through the generated client. */
let t: TestServer;
beforeEach(async () => {
  t = await startFakeCriServer({ images: ["busybox"] });
});
afterEach(async () => {
  await t.close();
});

async function code(p: Promise<unknown>): Promise<status> {
  try {
    await p;
    return status.OK;
  } catch (err) {
    return (err as ServiceError).code;
  }
}

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("expected the call to fail");
}

describe("every RPC of the proto has a handler", () => {
  const services = [
    ["RuntimeService", api.RuntimeServiceService],
    ["ImageService", api.ImageServiceService],
  ] as const;
  test.each(services)(
    "%s: an empty request never gets UNIMPLEMENTED (except CheckpointContainer), UNKNOWN or INTERNAL",
    async (name, definition) => {
      const client = (name === "RuntimeService" ? t.clients.raw.runtime : t.clients.raw.image) as unknown as Record<
        string,
        (...a: unknown[]) => unknown
      >;
      const seen: Record<string, status> = {};
      for (const [method, def] of Object.entries(definition)) {
        const request = def.requestDeserialize(Buffer.alloc(0));
        const call = client[method]?.bind(client);
        if (!call) throw new Error(`client has no ${method}`);
        if (def.responseStream) {
          const stream = call(request) as Parameters<typeof collect>[0];
          seen[def.path] = method === "getContainerEvents" ? await firstOrOpen(stream) : await code(collect(stream));
        } else {
          seen[def.path] = await code(
            new Promise((resolve, reject) => call(request, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r)))),
          );
        }
      }
      const refused = new Set([status.UNIMPLEMENTED, status.UNKNOWN, status.INTERNAL]);
      const bad = Object.entries(seen).filter(([path, c]) => refused.has(c) && !path.endsWith("/CheckpointContainer"));
      expect(bad.map(([path, c]) => `${path}: ${status[c]}`)).toEqual([]);
      if (name === "RuntimeService") expect(seen["/runtime.v1.RuntimeService/CheckpointContainer"]).toBe(status.UNIMPLEMENTED);
      expect(Object.keys(seen)).toHaveLength(name === "RuntimeService" ? 35 : 6);
    },
  );
});

/** GetContainerEvents stays open; it counts as answered when it is still open after a moment. */
async function firstOrOpen(stream: Parameters<typeof collect>[0]): Promise<status> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stream.cancel();
      resolve(status.OK);
    }, 100);
    stream.on("error", (e: ServiceError) => {
      clearTimeout(timer);
      resolve(e.code === status.CANCELLED ? status.OK : e.code);
    });
  });
}

describe("the CRI lifecycle over the socket", () => {
  test("pull, run, create, start, exec, stop, remove, with statuses and lists along the way", async () => {
    const { runtime: rt, image: img } = t.clients;
    const version = await rt.version({ version: "v1" });
    expect(version).toMatchObject({ runtimeName: "rkt", runtimeApiVersion: "v1" });

    const pulled = await img.pullImage({
      image: { image: "nginx:1.27", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
      auth: undefined,
      sandboxConfig: undefined,
    });
    expect(pulled.imageRef).toMatch(/^sha256:/);
    const st = await img.imageStatus({
      image: { image: "nginx:1.27", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
      verbose: false,
    });
    expect(st.image?.repoTags).toEqual(["docker.io/library/nginx:1.27"]);

    const { podSandboxId } = await rt.runPodSandbox({ config: podConfig("web"), runtimeHandler: "" });
    const pod = await rt.podSandboxStatus({ podSandboxId, verbose: false });
    expect(pod.status?.state).toBe(api.PodSandboxState.SANDBOX_READY);
    expect(pod.status?.network?.ip).toMatch(/^10\.88\./);
    expect(pod.status?.createdAt).toBeGreaterThan(1_600_000_000_000_000_000n);

    const { containerId } = await rt.createContainer({ podSandboxId, config: containerConfig("app"), sandboxConfig: podConfig("web") });
    expect((await rt.containerStatus({ containerId, verbose: false })).status?.state).toBe(api.ContainerState.CONTAINER_CREATED);
    await rt.startContainer({ containerId });
    const running = (await rt.containerStatus({ containerId, verbose: false })).status;
    expect(running?.state).toBe(api.ContainerState.CONTAINER_RUNNING);
    expect(running?.logPath).toBe("/var/log/pods/default_web/app/0.log");
    expect(running?.imageRef).toMatch(/busybox@sha256:/);

    const exec = await rt.execSync({ containerId, cmd: ["echo", "hi"], timeout: 5n });
    expect(exec.stdout.toString()).toBe("hi\n");
    expect(exec.exitCode).toBe(0);
    expect(await code(rt.execSync({ containerId, cmd: ["sleep", "10"], timeout: 1n }))).toBe(status.DEADLINE_EXCEEDED);

    const url = (await rt.exec({ containerId, cmd: ["sh"], tty: true, stdin: true, stdout: true, stderr: false })).url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:10241\/exec\/[0-9a-f]{48}$/);

    await rt.stopContainer({ containerId, timeout: 5n });
    await rt.stopContainer({ containerId, timeout: 5n });
    const exited = (await rt.containerStatus({ containerId, verbose: false })).status;
    expect(exited?.state).toBe(api.ContainerState.CONTAINER_EXITED);
    expect(exited?.finishedAt).toBeGreaterThan(0n);
    await rt.removeContainer({ containerId });
    await rt.removeContainer({ containerId });
    expect(await code(rt.containerStatus({ containerId, verbose: false }))).toBe(status.NOT_FOUND);

    await rt.stopPodSandbox({ podSandboxId });
    await rt.stopPodSandbox({ podSandboxId });
    expect((await rt.podSandboxStatus({ podSandboxId, verbose: false })).status?.state).toBe(api.PodSandboxState.SANDBOX_NOTREADY);
    await rt.removePodSandbox({ podSandboxId });
    await rt.removePodSandbox({ podSandboxId });
    expect(await code(rt.podSandboxStatus({ podSandboxId, verbose: false }))).toBe(status.NOT_FOUND);
    expect((await rt.listPodSandbox({ filter: undefined })).items).toEqual([]);
    await img.removeImage({ image: { image: "nginx:1.27", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" } });
    await img.removeImage({ image: { image: "nginx:1.27", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" } });
    expect(
      (
        await img.imageStatus({
          image: { image: "nginx:1.27", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
          verbose: false,
        })
      ).image,
    ).toBeUndefined();
  });

  test("every filter of ListPodSandbox and ListContainers, and the Stream twins return the same items", async () => {
    const rt = t.clients.runtime;
    const a = (await rt.runPodSandbox({ config: podConfig("a", { labels: { app: "a", env: "prod" } }), runtimeHandler: "" })).podSandboxId;
    const b = (await rt.runPodSandbox({ config: podConfig("b", { labels: { app: "b", env: "prod" } }), runtimeHandler: "" })).podSandboxId;
    await rt.stopPodSandbox({ podSandboxId: b });
    const ca = (await rt.createContainer({ podSandboxId: a, config: containerConfig("x"), sandboxConfig: undefined })).containerId;
    const cb = (await rt.createContainer({ podSandboxId: a, config: containerConfig("y"), sandboxConfig: undefined })).containerId;
    await rt.startContainer({ containerId: cb });

    const pods = async (filter: Partial<api.PodSandboxFilter>) =>
      (await rt.listPodSandbox({ filter: { id: "", state: undefined, labelSelector: {}, ...filter } })).items.map((p) => p.id).sort();
    expect(await pods({})).toEqual([a, b].sort());
    expect(await pods({ id: a.slice(0, 12) })).toEqual([a]);
    expect(await pods({ state: { state: api.PodSandboxState.SANDBOX_NOTREADY } })).toEqual([b]);
    expect(await pods({ labelSelector: { env: "prod", app: "a" } })).toEqual([a]);

    const ctrs = async (filter: Partial<api.ContainerFilter>) =>
      (await rt.listContainers({ filter: { id: "", state: undefined, podSandboxId: "", labelSelector: {}, ...filter } })).containers
        .map((c) => c.id)
        .sort();
    expect(await ctrs({})).toEqual([ca, cb].sort());
    expect(await ctrs({ id: cb.slice(0, 6) })).toEqual([cb]);
    expect(await ctrs({ state: { state: api.ContainerState.CONTAINER_RUNNING } })).toEqual([cb]);
    expect(await ctrs({ podSandboxId: b })).toEqual([]);
    expect(await ctrs({ labelSelector: { tier: "x" } })).toEqual([ca]);

    const streamed = await collect(t.clients.runtime.streamContainers({ filter: undefined }));
    expect(streamed.flatMap((m) => m.containers.map((c) => c.id)).sort()).toEqual([ca, cb].sort());
    const streamedPods = await collect(
      t.clients.runtime.streamPodSandboxes({ filter: { id: "", state: { state: 0 }, labelSelector: {} } }),
    );
    expect(streamedPods.flatMap((m) => m.podSandboxes.map((p) => p.id))).toEqual([a]);

    const stats = await rt.listContainerStats({ filter: undefined });
    expect(stats.stats.map((s) => s.attributes?.id)).toEqual([cb]);
    expect(stats.stats[0]?.memory?.workingSetBytes?.value).toBeGreaterThan(0n);
    const podStats = await rt.listPodSandboxStats({ filter: undefined });
    expect(podStats.stats.map((s) => s.attributes?.id)).toEqual([a]);
  });

  test("GetContainerEvents streams lifecycle events with the pod status attached, to every subscriber", async () => {
    const rt = t.clients.runtime;
    const streams = [rt.getContainerEvents({}), rt.getContainerEvents({})];
    const received: api.ContainerEventResponse[][] = [[], []];
    streams.forEach((s, i) => {
      s.on("data", (e: api.ContainerEventResponse) => received[i]?.push(e));
      s.on("error", () => undefined);
    });
    await new Promise((r) => setTimeout(r, 50)); // both subscriptions are in place
    const podSandboxId = (await rt.runPodSandbox({ config: podConfig("ev"), runtimeHandler: "" })).podSandboxId;
    const containerId = (await rt.createContainer({ podSandboxId, config: containerConfig("c"), sandboxConfig: undefined })).containerId;
    await rt.startContainer({ containerId });
    t.backend.apps.exit(containerId, 2, "crashed");
    await new Promise((r) => setTimeout(r, 100));
    for (const s of streams) s.cancel();
    for (const events of received) {
      const mine = events.filter((e) => e.containerId === containerId);
      expect(mine.map((e) => e.containerEventType)).toEqual([
        api.ContainerEventType.CONTAINER_CREATED_EVENT,
        api.ContainerEventType.CONTAINER_STARTED_EVENT,
        api.ContainerEventType.CONTAINER_STOPPED_EVENT,
      ]);
      expect(mine[2]?.podSandboxStatus?.id).toBe(podSandboxId);
      expect(mine[2]?.containersStatuses.find((c) => c.id === containerId)?.exitCode).toBe(2);
      expect(events.filter((e) => e.containerId === podSandboxId).map((e) => e.containerEventType)).toEqual([
        api.ContainerEventType.CONTAINER_CREATED_EVENT,
        api.ContainerEventType.CONTAINER_STARTED_EVENT,
      ]);
    }
  });

  test("Status reports the backend's conditions, RuntimeConfig the cgroup driver", async () => {
    t.backend.info.networkReady = { status: false, reason: "NoNetworkConfig", message: "no CNI configuration in /etc/rkt/net.d" };
    const s = await t.clients.runtime.status({ verbose: true });
    expect(s.status?.conditions).toEqual([
      { type: "RuntimeReady", status: true, reason: "", message: "" },
      { type: "NetworkReady", status: false, reason: "NoNetworkConfig", message: "no CNI configuration in /etc/rkt/net.d" },
    ]);
    expect(JSON.parse(s.info.backend ?? "null")).toBe("fake");
    expect((await t.clients.runtime.runtimeConfig({})).linux?.cgroupDriver).toBe(api.CgroupDriver.SYSTEMD);
    await t.clients.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: "10.244.1.0/24" } } });
    expect(t.backend.info.podCidr).toBe("10.244.1.0/24");
  });
});

describe("bad input gets INVALID_ARGUMENT naming the field", () => {
  const cases: [string, string, () => Promise<unknown>][] = [
    [
      "missing metadata",
      "config.metadata",
      () => t.clients.runtime.runPodSandbox({ config: podConfig("x", { metadata: undefined }), runtimeHandler: "" }),
    ],
    ["missing config", "config", () => t.clients.runtime.runPodSandbox({ config: undefined, runtimeHandler: "" })],
    [
      "relative log directory",
      "config.log_directory",
      () => t.clients.runtime.runPodSandbox({ config: podConfig("x", { logDirectory: "logs" }), runtimeHandler: "" }),
    ],
    [
      "a name over 253 characters",
      "config.metadata.name",
      () => t.clients.runtime.runPodSandbox({ config: podConfig("n".repeat(254)), runtimeHandler: "" }),
    ],
    ["an empty sandbox id", "pod_sandbox_id", () => t.clients.runtime.podSandboxStatus({ podSandboxId: "", verbose: false })],
    ["an empty container id", "container_id", () => t.clients.runtime.containerStatus({ containerId: "", verbose: false })],
    ["shell characters in an id", "container_id", () => t.clients.runtime.startContainer({ containerId: "abc;reboot" })],
    ["path characters in an id", "pod_sandbox_id", () => t.clients.runtime.stopPodSandbox({ podSandboxId: "../../etc" })],
    [
      "an unknown enum value",
      "filter.state.state",
      () => t.clients.runtime.listPodSandbox({ filter: { id: "", state: { state: 7 as api.PodSandboxState }, labelSelector: {} } }),
    ],
    ["a negative timeout", "timeout", () => t.clients.runtime.stopContainer({ containerId: "abc", timeout: -1n })],
    ["an empty exec command", "cmd", () => t.clients.runtime.execSync({ containerId: "abc", cmd: [], timeout: 1n })],
    [
      "an empty image",
      "image.image",
      () =>
        t.clients.image.pullImage({
          image: { image: "", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
          auth: undefined,
          sandboxConfig: undefined,
        }),
    ],
    [
      "an unknown mount propagation",
      "config.mounts[0].propagation",
      async () => {
        const podSandboxId = (await t.clients.runtime.runPodSandbox({ config: podConfig("m"), runtimeHandler: "" })).podSandboxId;
        const mounts = [
          {
            containerPath: "/d",
            hostPath: "/srv",
            readonly: false,
            selinuxRelabel: false,
            propagation: 9,
            uidMappings: [],
            gidMappings: [],
            recursiveReadOnly: false,
            image: undefined,
            imageSubPath: "",
          },
        ];
        return t.clients.runtime.createContainer({ podSandboxId, config: containerConfig("m", { mounts }), sandboxConfig: undefined });
      },
    ],
  ];
  test.each(cases)("%s", async (_what, field, call) => {
    const err = await failure(call());
    expect(status[err.code]).toBe("INVALID_ARGUMENT");
    expect(err.details.startsWith(`${field}:`)).toBe(true);
    expect((await t.clients.runtime.version({ version: "" })).runtimeName).toBe("rkt");
  });

  test("unknown ids on status calls are NOT_FOUND, ImageStatus of an absent image is an empty answer", async () => {
    expect(await code(t.clients.runtime.podSandboxStatus({ podSandboxId: "0123456789ab", verbose: false }))).toBe(status.NOT_FOUND);
    expect(await code(t.clients.runtime.containerStatus({ containerId: "0123456789ab", verbose: false }))).toBe(status.NOT_FOUND);
    expect(await code(t.clients.runtime.containerStats({ containerId: "0123456789ab" }))).toBe(status.NOT_FOUND);
    expect(await code(t.clients.runtime.podSandboxStats({ podSandboxId: "0123456789ab" }))).toBe(status.NOT_FOUND);
    const absent = await t.clients.image.imageStatus({
      image: { image: "nope:1", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
      verbose: false,
    });
    expect(absent.image).toBeUndefined();
  });

  test("a second RunPodSandbox with the same metadata is ALREADY_EXISTS and creates nothing", async () => {
    await t.clients.runtime.runPodSandbox({ config: podConfig("dup"), runtimeHandler: "" });
    expect(await code(t.clients.runtime.runPodSandbox({ config: podConfig("dup"), runtimeHandler: "" }))).toBe(status.ALREADY_EXISTS);
    expect((await t.clients.runtime.listPodSandbox({ filter: undefined })).items).toHaveLength(1);
  });
});
