import { type ContainerEvent, ContainerEventType, ContainerState } from "@rktlet/core";
import { containerSpec, rejection, sandboxSpec, setup } from "./helpers";

async function withPod() {
  const s = setup();
  const podId = await s.runtime.sandboxes.run(sandboxSpec("web"));
  return { ...s, podId };
}

describe("ContainerService", () => {
  test("CREATED → RUNNING → EXITED with timestamps, exit code and log path under the pod's log directory", async () => {
    const { runtime, podId, clock } = await withPod();
    const id = await runtime.containers.create(podId, containerSpec("app"));
    let c = await runtime.containers.status(id);
    expect(c.state).toBe(ContainerState.Created);
    expect(c.logPath).toBe("/var/log/pods/default_web/app/0.log");
    clock.advanceSeconds(1);
    await runtime.containers.start(id);
    c = await runtime.containers.status(id);
    expect(c.state).toBe(ContainerState.Running);
    expect(c.startedAt).toBe(clock.now());
    clock.advanceSeconds(1);
    await runtime.containers.stop(id, 10);
    c = await runtime.containers.status(id);
    expect(c.state).toBe(ContainerState.Exited);
    expect(c.finishedAt).toBe(clock.now());
    expect(c.exitCode).toBe(0);
    expect(c.createdAt < c.startedAt && c.startedAt < c.finishedAt).toBe(true);
  });

  test("a privileged container needs a privileged pod", async () => {
    const { runtime, podId, backend } = await withPod();
    const privileged = (name: string) => {
      const spec = containerSpec(name);
      return { ...spec, security: { ...spec.security, privileged: true } };
    };
    const err = await rejection(runtime.containers.create(podId, privileged("root")));
    expect([err.kind, err.field]).toEqual(["InvalidArgument", "config.linux.security_context.privileged"]);
    expect(await backend.apps.list()).toEqual([]);
    const privPod = await runtime.sandboxes.run({ ...sandboxSpec("admin"), privileged: true });
    await runtime.containers.create(privPod, privileged("root"));
    expect((await backend.apps.list()).map((c) => c.metadata.name)).toEqual(["root"]);
  });

  test("starting twice is refused as a failed precondition", async () => {
    const { runtime, podId } = await withPod();
    const id = await runtime.containers.create(podId, containerSpec("app"));
    await runtime.containers.start(id);
    expect((await rejection(runtime.containers.start(id))).kind).toBe("FailedPrecondition");
  });

  test("names are unique per sandbox and attempt, also under concurrency", async () => {
    const { runtime, podId, backend } = await withPod();
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => runtime.containers.create(podId, containerSpec("app"))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason.kind === "AlreadyExists")).toBe(
      true,
    );
    await runtime.containers.create(podId, containerSpec("app", { metadata: { name: "app", attempt: 1 } }));
    const other = await runtime.sandboxes.run(sandboxSpec("other"));
    await runtime.containers.create(other, containerSpec("app"));
    expect((await backend.apps.list()).length).toBe(3);
  });

  test("parallel create and remove in one pod keeps names unique", async () => {
    const { runtime, podId } = await withPod();
    const first = await runtime.containers.create(podId, containerSpec("app"));
    await Promise.allSettled([
      runtime.containers.remove(first),
      runtime.containers.create(podId, containerSpec("app")),
      runtime.containers.create(podId, containerSpec("app")),
    ]);
    const names = (await runtime.containers.list({ podSandboxId: podId })).map((c) => `${c.metadata.name}/${c.metadata.attempt}`);
    expect(new Set(names).size).toBe(names.length);
  });

  test("create needs an existing, ready sandbox and a present image", async () => {
    const { runtime, podId } = await withPod();
    expect((await rejection(runtime.containers.create("feedface", containerSpec()))).kind).toBe("NotFound");
    expect(
      (await rejection(runtime.containers.create(podId, containerSpec("x", { image: { image: "nginx:1.27", annotations: {} } })))).kind,
    ).toBe("NotFound");
    await runtime.sandboxes.stop(podId);
    expect((await rejection(runtime.containers.create(podId, containerSpec()))).kind).toBe("FailedPrecondition");
  });

  test.each([
    ["config.log_path", containerSpec("x", { logPath: "../../etc/passwd" })],
    ["config.log_path", containerSpec("x", { logPath: "/etc/passwd" })],
    [
      "config.mounts[0].host_path",
      containerSpec("x", {
        mounts: [{ containerPath: "/data", hostPath: "relative", readonly: false, selinuxRelabel: false, propagation: "PRIVATE" }],
      }),
    ],
    [
      "config.mounts[0].container_path",
      containerSpec("x", {
        mounts: [{ containerPath: "/a/../..", hostPath: "/srv", readonly: false, selinuxRelabel: false, propagation: "PRIVATE" }],
      }),
    ],
    ["config.command[1]", containerSpec("x", { command: ["sh", "a\0b"] })],
    ["config.envs[0].key", containerSpec("x", { envs: [{ key: "A=B", value: "c" }] })],
    ["config.image.image", containerSpec("x", { image: { image: "busybox; rm -rf /", annotations: {} } })],
    ["config.metadata.name", containerSpec("$(reboot)")],
    ["config.working_dir", containerSpec("x", { workingDir: "tmp" })],
  ])("bad input names the field %s", async (field, spec) => {
    const { runtime, podId, backend } = await withPod();
    const err = await rejection(runtime.containers.create(podId, spec));
    expect(err.kind).toBe("InvalidArgument");
    expect(err.field).toBe(field);
    expect(backend.apps.listCalls).toBe(0);
  });

  test("stop and remove are idempotent and accept unknown ids", async () => {
    const { runtime, podId } = await withPod();
    const id = await runtime.containers.create(podId, containerSpec("app"));
    await runtime.containers.start(id);
    await runtime.containers.stop(id, 0);
    await runtime.containers.stop(id, 0);
    await runtime.containers.remove(id);
    await runtime.containers.remove(id);
    await runtime.containers.stop("0123abcd", 0);
    await runtime.containers.remove("0123abcd");
    expect((await rejection(runtime.containers.status(id))).kind).toBe("NotFound");
  });

  test("single-object calls take exact ids: a prefix names nothing, so a retried remove cannot hit a sibling", async () => {
    const { runtime, podId } = await withPod();
    const id = await runtime.containers.create(podId, containerSpec("app"));
    const prefix = id.slice(0, 12);
    expect((await rejection(runtime.containers.status(prefix))).kind).toBe("NotFound");
    await runtime.containers.remove(prefix);
    await runtime.containers.stop(prefix, 0);
    expect((await runtime.containers.status(id)).state).toBe(ContainerState.Created);
    expect((await runtime.containers.list({ id: prefix })).map((c) => c.id)).toEqual([id]);
  });

  test("removing a running container stops it first", async () => {
    const { runtime, podId, backend } = await withPod();
    const id = await runtime.containers.create(podId, containerSpec("app"));
    await runtime.containers.start(id);
    const stop = jest.spyOn(backend.apps, "stop");
    await runtime.containers.remove(id);
    expect(stop).toHaveBeenCalledWith(id, 0);
  });

  test("list filters by id prefix, state, sandbox id and labels", async () => {
    const { runtime, podId } = await withPod();
    const other = await runtime.sandboxes.run(sandboxSpec("other"));
    const a = await runtime.containers.create(podId, containerSpec("a"));
    const b = await runtime.containers.create(podId, containerSpec("b"));
    const c = await runtime.containers.create(other, containerSpec("c"));
    await runtime.containers.start(b);
    const ids = async (f: Parameters<typeof runtime.containers.list>[0]) => (await runtime.containers.list(f)).map((x) => x.id).sort();
    expect(await ids({})).toEqual([a, b, c].sort());
    expect(await ids({ id: b.slice(0, 8) })).toEqual([b]);
    expect(await ids({ state: ContainerState.Running })).toEqual([b]);
    expect(await ids({ state: ContainerState.Created, podSandboxId: podId })).toEqual([a]);
    expect(await ids({ podSandboxId: other })).toEqual([c]);
    expect(await ids({ labelSelector: { tier: "a" } })).toEqual([a]);
  });

  test("execSync passes output and exit code, and a timeout becomes DeadlineExceeded", async () => {
    const { runtime, podId } = await withPod();
    const id = await runtime.containers.create(podId, containerSpec("app"));
    expect((await rejection(runtime.containers.execSync(id, ["echo", "hi"], 1))).kind).toBe("FailedPrecondition");
    await runtime.containers.start(id);
    const r = await runtime.containers.execSync(id, ["echo", "hi"], 5);
    expect(new TextDecoder().decode(r.stdout)).toBe("hi\n");
    expect((await runtime.containers.execSync(id, ["false"], 5)).exitCode).toBe(1);
    const err = await rejection(runtime.containers.execSync(id, ["sleep", "5"], 0.05));
    expect(err.kind).toBe("DeadlineExceeded");
    expect((await rejection(runtime.containers.execSync(id, [], 1))).field).toBe("cmd");
  });

  test("events: CREATED, STARTED, STOPPED, DELETED in order, and one STOPPED for a container exiting on its own", async () => {
    const { runtime, podId, backend } = await withPod();
    const seen: ContainerEvent[] = [];
    runtime.events.subscribe((e) => seen.push(e));
    const id = await runtime.containers.create(podId, containerSpec("app"));
    await runtime.containers.start(id);
    backend.apps.exit(id, 3, "boom");
    await new Promise((r) => setImmediate(r));
    backend.apps.exit(id, 3, "again");
    await new Promise((r) => setImmediate(r));
    await runtime.containers.stop(id, 0);
    await runtime.containers.remove(id);
    const mine = seen.filter((e) => e.containerId === id);
    expect(mine.map((e) => e.type)).toEqual([
      ContainerEventType.Created,
      ContainerEventType.Started,
      ContainerEventType.Stopped,
      ContainerEventType.Deleted,
    ]);
    const stopped = mine[2];
    expect(stopped?.podSandbox?.id).toBe(podId);
    expect(stopped?.containers.find((c) => c.id === id)?.exitCode).toBe(3);
  });

  test("reopenLog needs a running container", async () => {
    const { runtime, podId, backend } = await withPod();
    const id = await runtime.containers.create(podId, containerSpec("app"));
    expect((await rejection(runtime.containers.reopenLog(id))).kind).toBe("FailedPrecondition");
    await runtime.containers.start(id);
    await runtime.containers.reopenLog(id);
    expect(backend.apps.get(id).logReopens).toBe(1);
  });
});
