import { ContainerState, PodSandboxState } from "@rktlet/core";
import { containerSpec, rejection, sandboxSpec, setup } from "./helpers";

describe("PodSandboxService", () => {
  test("run gives a READY sandbox with the metadata, labels and a creation time in nanoseconds", async () => {
    const { runtime, clock } = setup();
    const id = await runtime.sandboxes.run(sandboxSpec("web"));
    const { sandbox } = await runtime.sandboxes.status(id);
    expect(sandbox.state).toBe(PodSandboxState.Ready);
    expect(sandbox.metadata).toEqual({ name: "web", uid: "uid-web", namespace: "default", attempt: 0 });
    expect(sandbox.labels).toEqual({ app: "web" });
    expect(sandbox.createdAt).toBe(clock.now());
    expect(typeof sandbox.createdAt).toBe("bigint");
  });

  test("a second run with the same name, uid, namespace and attempt creates no second pod", async () => {
    const { runtime, backend } = setup();
    const first = await runtime.sandboxes.run(sandboxSpec("web"));
    const err = await rejection(runtime.sandboxes.run(sandboxSpec("web")));
    expect(err.kind).toBe("AlreadyExists");
    expect(err.message).toContain(first);
    expect(backend.sandboxes.size).toBe(1);
  });

  test("concurrent runs with the same metadata create exactly one pod", async () => {
    const { runtime, backend } = setup();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => runtime.sandboxes.run(sandboxSpec("web"))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(backend.sandboxes.size).toBe(1);
  });

  test("another attempt of the same pod is a different sandbox", async () => {
    const { runtime } = setup();
    const a = await runtime.sandboxes.run(sandboxSpec("web"));
    const base = sandboxSpec("web");
    const b = await runtime.sandboxes.run({ ...base, metadata: { ...base.metadata, attempt: 1 } });
    expect(a).not.toBe(b);
  });

  test("the name is free again once the sandbox is removed", async () => {
    const { runtime } = setup();
    const id = await runtime.sandboxes.run(sandboxSpec("web"));
    await runtime.sandboxes.remove(id);
    await expect(runtime.sandboxes.run(sandboxSpec("web"))).resolves.toMatch(/^[0-9a-f]{64}$/);
  });

  test("stop makes the sandbox NOTREADY and its containers EXITED; it is idempotent", async () => {
    const { runtime } = setup();
    const id = await runtime.sandboxes.run(sandboxSpec("web"));
    const running = await runtime.containers.create(id, containerSpec("app"));
    await runtime.containers.start(running);
    const created = await runtime.containers.create(id, containerSpec("side"));
    await runtime.sandboxes.stop(id);
    await runtime.sandboxes.stop(id);
    const { sandbox, containers } = await runtime.sandboxes.status(id);
    expect(sandbox.state).toBe(PodSandboxState.NotReady);
    expect(containers.map((c) => c.state)).toEqual([ContainerState.Exited, ContainerState.Exited]);
    expect((await runtime.containers.status(created)).reason).toBe("PodSandboxNotReady");
  });

  test("remove takes the containers with it and is idempotent, also for ids never seen", async () => {
    const { runtime, backend } = setup();
    const id = await runtime.sandboxes.run(sandboxSpec("web"));
    const c = await runtime.containers.create(id, containerSpec("app"));
    await runtime.containers.start(c);
    await runtime.sandboxes.remove(id);
    await runtime.sandboxes.remove(id);
    await runtime.sandboxes.remove("0123456789abcdef");
    expect(backend.sandboxes.size).toBe(0);
    expect(await runtime.containers.list()).toEqual([]);
  });

  test("stop racing remove leaves nothing behind and fails neither", async () => {
    const { runtime, backend } = setup();
    const id = await runtime.sandboxes.run(sandboxSpec("web"));
    await runtime.containers.start(await runtime.containers.create(id, containerSpec("app")));
    await Promise.all([runtime.sandboxes.stop(id), runtime.sandboxes.remove(id), runtime.sandboxes.stop(id), runtime.sandboxes.remove(id)]);
    expect(backend.sandboxes.size).toBe(0);
  });

  test("status of an unknown sandbox is NotFound", async () => {
    const { runtime } = setup();
    const err = await rejection(runtime.sandboxes.status("deadbeef"));
    expect(err.kind).toBe("NotFound");
  });

  test("ids with shell or path characters are refused before reaching the backend", async () => {
    const { runtime, backend } = setup();
    for (const bad of ["", "a;rm -rf /", "../etc", "$(id)", "a b", "a/b", "-rf"]) {
      const err = await rejection(runtime.sandboxes.status(bad));
      expect(err.kind).toBe("InvalidArgument");
      expect(err.field).toBe("pod_sandbox_id");
    }
    expect(backend.sandboxes.listCalls).toBe(0);
  });

  test("list filters by id prefix, state and label selector", async () => {
    const { runtime } = setup();
    const a = await runtime.sandboxes.run(sandboxSpec("a", { labels: { app: "a", tier: "front" } }));
    const b = await runtime.sandboxes.run(sandboxSpec("b", { labels: { app: "b", tier: "front" } }));
    await runtime.sandboxes.stop(b);
    const ids = async (f: Parameters<typeof runtime.sandboxes.list>[0]) => (await runtime.sandboxes.list(f)).map((s) => s.id).sort();
    expect(await ids({})).toEqual([a, b].sort());
    expect(await ids({ id: a.slice(0, 10) })).toEqual([a]);
    expect(await ids({ state: PodSandboxState.Ready })).toEqual([a]);
    expect(await ids({ state: PodSandboxState.NotReady })).toEqual([b]);
    expect(await ids({ labelSelector: { tier: "front" } })).toEqual([a, b].sort());
    expect(await ids({ labelSelector: { tier: "front", app: "b" } })).toEqual([b]);
    expect(await ids({ labelSelector: { tier: "back" } })).toEqual([]);
  });

  test.each([
    ["config.metadata.name", sandboxSpec("x", { metadata: { name: "", uid: "u", namespace: "n", attempt: 0 } })],
    ["config.metadata.name", sandboxSpec("x", { metadata: { name: "a".repeat(254), uid: "u", namespace: "n", attempt: 0 } })],
    ["config.metadata.namespace", sandboxSpec("x", { metadata: { name: "x", uid: "u", namespace: "a/b", attempt: 0 } })],
    ["config.metadata.uid", sandboxSpec("x", { metadata: { name: "x", uid: "", namespace: "n", attempt: 0 } })],
    ["config.log_directory", sandboxSpec("x", { logDirectory: "relative/logs" })],
    ["config.log_directory", sandboxSpec("x", { logDirectory: "/var/log/../../etc" })],
    ["config.labels", sandboxSpec("x", { labels: { "": "v" } })],
    [
      "config.port_mappings[0].container_port",
      sandboxSpec("x", { portMappings: [{ protocol: "TCP", containerPort: 70000, hostPort: 0, hostIp: "" }] }),
    ],
  ])("bad input names the field %s", async (field, spec) => {
    const { runtime, backend } = setup();
    const err = await rejection(runtime.sandboxes.run(spec));
    expect(err.kind).toBe("InvalidArgument");
    expect(err.field).toBe(field);
    expect(backend.sandboxes.size).toBe(0);
  });

  test("a backend failure is passed on and releases the name", async () => {
    const { runtime, backend } = setup();
    backend.sandboxes.faults.failNext("run", new Error("rkt exploded"));
    await expect(runtime.sandboxes.run(sandboxSpec("web"))).rejects.toThrow("rkt exploded");
    await expect(runtime.sandboxes.run(sandboxSpec("web"))).resolves.toBeDefined();
  });
});
