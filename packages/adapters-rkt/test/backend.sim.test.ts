import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ContainerEvent, ContainerState, MountPropagation, PodSandboxState } from "@rktlet/core";
import { container, pod, type SimEnv, startSimEnv, until } from "./sim-env";

/** The rkt backend end to end, over the rkt simulator: real processes, real log files, real exit codes. */
let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv();
  await env.runtime.images.pull("busybox", undefined);
}, 60_000);
afterAll(async () => {
  await env.close();
}, 60_000);

async function rejectionOf(p: Promise<unknown>): Promise<{ kind: string; field?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { kind: string; field?: string };
  }
  throw new Error("expected a rejection");
}

const readLog = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

describe("rkt backend over the simulator", () => {
  test("full lifecycle: READY pod, RUNNING container, CRI log, exec, stop with exit code, idempotent removes", async () => {
    const rt = env.runtime;
    const podId = await rt.sandboxes.run(pod("web", env.logDir));
    expect(podId).toMatch(/^[0-9a-f-]{36}$/);
    const { sandbox } = await rt.sandboxes.status(podId);
    expect(sandbox).toMatchObject({
      state: PodSandboxState.Ready,
      metadata: { name: "web", uid: "uid-web", namespace: "default", attempt: 0 },
      labels: { app: "web" },
      annotations: { note: "hello" },
    });
    expect(sandbox.network?.ip).toMatch(/^172\.16\.28\.\d+$/);
    expect(sandbox.createdAt).toBeGreaterThan(1_600_000_000_000_000_000n);

    const id = await rt.containers.create(podId, container("app", "echo hello; echo oops >&2; sleep 3600"));
    expect((await rt.containers.status(id)).state).toBe(ContainerState.Created);
    await rt.containers.start(id);
    const running = await rt.containers.status(id);
    expect(running).toMatchObject({
      state: ContainerState.Running,
      metadata: { name: "app", attempt: 0 },
      labels: { tier: "app" },
      annotations: { owner: "test" },
    });
    expect(running.image.image).toBe("busybox");
    expect(running.imageRef).toMatch(/^sha512-/);
    expect(running.logPath).toBe(join(env.logDir, "web", "app", "0.log"));
    const log = await until(
      async () => {
        const text = readLog(running.logPath);
        return text.includes("stdout F hello") && text.includes("stderr F oops") && text;
      },
      10_000,
      "the CRI log",
    );
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\S+Z stdout F hello$/m);

    const out = await rt.containers.execSync(id, ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], 10);
    expect(Buffer.from(out.stdout).toString()).toBe("out\n");
    expect(Buffer.from(out.stderr).toString()).toBe("err\n");
    expect(out.exitCode).toBe(3);
    await expect(rt.containers.execSync(id, ["sleep", "5"], 0.5)).rejects.toMatchObject({ kind: "DeadlineExceeded" });

    await rt.containers.stop(id, 10);
    const exited = await rt.containers.status(id);
    expect(exited.state).toBe(ContainerState.Exited);
    expect(exited.exitCode).toBe(15);
    expect(exited.finishedAt).toBeGreaterThan(exited.startedAt);
    await rt.containers.stop(id, 10);
    await rt.containers.remove(id);
    await rt.containers.remove(id);
    await expect(rt.containers.status(id)).rejects.toMatchObject({ kind: "NotFound" });
    await rt.sandboxes.stop(podId);
    expect((await rt.sandboxes.status(podId)).sandbox.state).toBe(PodSandboxState.NotReady);
    await rt.sandboxes.remove(podId);
    await rt.sandboxes.remove(podId);
    await expect(rt.sandboxes.status(podId)).rejects.toMatchObject({ kind: "NotFound" });
    expect(await env.backend.units.list()).toEqual([]);
  }, 60_000);

  test("list and status calls are served from one snapshot: a warm call starts no rkt process", async () => {
    const rt = env.runtime;
    const podId = await rt.sandboxes.run(pod("quiet", env.logDir));
    const ids: string[] = [];
    for (const n of ["a", "b"]) {
      const id = await rt.containers.create(podId, container(n, "sleep 3600"));
      await rt.containers.start(id);
      ids.push(id);
    }
    await rt.containers.list();
    const before = env.backend.runner.spawns.total;
    await rt.sandboxes.list();
    await rt.containers.list({ podSandboxId: podId });
    await rt.sandboxes.status(podId);
    for (const id of ids) await rt.containers.status(id);
    expect(env.backend.runner.spawns.total - before).toBe(0);
    await rt.sandboxes.remove(podId);
  }, 60_000);

  test("a container that exits by itself is reported EXITED with its code, and a STOPPED event is published", async () => {
    const rt = env.runtime;
    const events: ContainerEvent[] = [];
    const off = rt.events.subscribe((e) => events.push(e));
    const podId = await rt.sandboxes.run(pod("crash", env.logDir));
    const id = await rt.containers.create(podId, container("c", "sleep 0.3; exit 3"));
    await rt.containers.start(id);
    const stopped = await until(async () => events.find((e) => e.containerId === id && e.type === "STOPPED"), 10_000, "a STOPPED event");
    off();
    expect(stopped.containers.find((c) => c.id === id)).toMatchObject({ state: ContainerState.Exited, exitCode: 3, reason: "Error" });
    await rt.sandboxes.remove(podId);
  }, 60_000);

  test("a daemon restart (a new backend over the same directories) sees the same pods and containers, and logs go on without gaps or repeats", async () => {
    const podId = await env.runtime.sandboxes.run(pod("keep", env.logDir));
    const id = await env.runtime.containers.create(
      podId,
      container("ticker", "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.05; done"),
    );
    await env.runtime.containers.start(id);
    const idle = await env.runtime.containers.create(podId, container("idle", "sleep 3600"));
    const before = { pods: await env.runtime.sandboxes.list(), containers: await env.runtime.containers.list({ podSandboxId: podId }) };
    await env.backend.close(); // the old daemon stops converting logs, as if killed
    await new Promise((r) => setTimeout(r, 400));
    const { runtime } = await env.restart();
    expect(await runtime.sandboxes.list()).toEqual(before.pods);
    const after = await runtime.containers.list({ podSandboxId: podId });
    expect(after.map((c) => [c.id, c.state, c.metadata, c.labels, c.annotations, c.createdAt])).toEqual(
      before.containers.map((c) => [c.id, c.state, c.metadata, c.labels, c.annotations, c.createdAt]),
    );
    expect(after.find((c) => c.id === idle)?.state).toBe(ContainerState.Created);
    const logPath = after.find((c) => c.id === id)?.logPath as string;
    await new Promise((r) => setTimeout(r, 500));
    await runtime.containers.stop(id, 5);
    const lines = await until(async () => {
      const text = readLog(logPath);
      return text.trim().split("\n").length > 5 && text;
    });
    const ticks = lines
      .trim()
      .split("\n")
      .map((l) => Number(/tick-(\d+)$/.exec(l)?.[1]));
    expect(ticks).toEqual(ticks.map((_, i) => i + 1));
    await runtime.sandboxes.remove(podId);
  }, 60_000);

  test("removing a pod removes its containers with it: no `rkt app rm` on the stopped pod, one `rkt list` per container at most", async () => {
    const rt = env.runtime;
    const podId = await rt.sandboxes.run(pod("bulk", env.logDir));
    const ids: string[] = [];
    for (const n of ["a", "b", "c", "d"]) {
      const id = await rt.containers.create(podId, container(n, "sleep 3600"));
      await rt.containers.start(id);
      ids.push(id);
    }
    await rt.sandboxes.stop(podId);
    const before = env.backend.runner.spawns.snapshot();
    await rt.sandboxes.remove(podId);
    const after = env.backend.runner.spawns.snapshot();
    const ran = (sub: string) => (after[sub] ?? 0) - (before[sub] ?? 0);
    expect({ app: ran("app"), rm: ran("rm") }).toEqual({ app: 0, rm: 1 });
    expect(ran("list")).toBeLessThanOrEqual(2);
    for (const id of ids) expect((await rejectionOf(rt.containers.status(id))).kind).toBe("NotFound");
  }, 60_000);

  test("a missing host path under /proc is refused at once (Node's recursive mkdir would spin there forever)", async () => {
    const rt = env.runtime;
    const podId = await rt.sandboxes.run(pod("procmount", env.logDir));
    const mounts = [
      {
        containerPath: "/x",
        hostPath: `/proc/${process.pid}/no-such/dir`,
        readonly: false,
        selinuxRelabel: false,
        propagation: MountPropagation.Private,
      },
    ];
    const err = await rejectionOf(rt.containers.create(podId, container("p", "true", { mounts })));
    expect(err).toMatchObject({ kind: "InvalidArgument", field: "config.mounts[0].host_path" });
    await rt.sandboxes.remove(podId);
  }, 30_000);

  test("a log path that is another container's log file, or inside it, is refused naming config.log_path", async () => {
    const rt = env.runtime;
    const podId = await rt.sandboxes.run(pod("logclash", env.logDir));
    await rt.containers.create(podId, container("a", "true", { logPath: "a" }));
    for (const [name, logPath] of [
      ["b", "a/b"],
      ["c", "a"],
    ] as const) {
      const err = await rejectionOf(rt.containers.create(podId, container(name, "true", { logPath })));
      expect({ container: name, kind: err.kind, field: err.field }).toEqual({
        container: name,
        kind: "InvalidArgument",
        field: "config.log_path",
      });
    }
    await rt.containers.create(podId, container("d", "true", { logPath: "d/0.log" }));
    await rt.sandboxes.remove(podId);
  }, 30_000);

  test("starting a container runs `rkt app start` and no `rkt list`: rkt's list shows an added app as running already", async () => {
    const rt = env.runtime;
    const podId = await rt.sandboxes.run(pod("starter", env.logDir));
    const id = await rt.containers.create(podId, container("s", "sleep 3600"));
    await rt.containers.list(); // the snapshot after the add
    const before = env.backend.runner.spawns.snapshot();
    await rt.containers.start(id);
    expect((await rt.containers.status(id)).state).toBe(ContainerState.Running);
    const after = env.backend.runner.spawns.snapshot();
    expect({ app: (after.app ?? 0) - (before.app ?? 0), list: (after.list ?? 0) - (before.list ?? 0) }).toEqual({ app: 1, list: 0 });
    await rt.sandboxes.remove(podId);
  }, 30_000);
});
