import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { createRktBackend } from "@rktlet/adapters-rkt";
import { ContainerState } from "@rktlet/core";
import { rktSimPath } from "@rktlet/testkit";
import { container, pod, type SimEnv, startSimEnv, until } from "./sim-env";

describe("readiness conditions say what is wrong", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rkc-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const backend = (config: Record<string, unknown>) =>
    createRktBackend({
      config: { rktPath: "/nonexistent/rkt", dataDir: join(dir, "d"), stateDir: join(dir, "s"), sharedMount: false, ...config },
      units: new ProcessUnitManager({ stateDir: join(dir, "s", "units") }),
    });

  test("no rkt binary: RuntimeReady is false with the path and the fix; the daemon still starts", async () => {
    const b = backend({});
    await b.start();
    const [runtime] = await b.info.conditions();
    expect(runtime).toMatchObject({ type: "RuntimeReady", status: false, reason: "RktUnavailable" });
    expect(runtime?.message).toContain("/nonexistent/rkt");
    expect(runtime?.message).toContain("--rkt-path");
    await b.close();
  });

  test("a unit manager that does not answer: RuntimeReady is false, saying which and what to check", async () => {
    const units = new ProcessUnitManager({ stateDir: join(dir, "s", "units") });
    const broken = Object.assign(Object.create(units) as ProcessUnitManager, {
      list: () => Promise.reject(new Error("connect ENOENT /run/dbus/system_bus_socket")),
    });
    const b = createRktBackend({
      config: { rktPath: rktSimPath(), dataDir: join(dir, "d"), stateDir: join(dir, "s"), sharedMount: false },
      units: broken,
    });
    await b.start();
    const [runtime] = await b.info.conditions();
    expect(runtime).toMatchObject({ type: "RuntimeReady", status: false, reason: "UnitManagerUnavailable" });
    expect(runtime?.message).toContain("the process unit manager does not answer (connect ENOENT /run/dbus/system_bus_socket)");
    await b.close();
  });

  test("an unknown --net: NetworkReady is false, naming the network and where configurations live", async () => {
    const b = backend({ rktPath: rktSimPath(), net: "corp-net", localConfigDir: join(dir, "etc-rkt") });
    await b.start();
    const [runtime, network] = await b.info.conditions();
    expect(runtime?.status).toBe(true);
    expect(network).toMatchObject({ type: "NetworkReady", status: false, reason: "NetworkConfigMissing" });
    expect(network?.message).toContain('"corp-net"');
    expect(network?.message).toContain(join(dir, "etc-rkt", "net.d"));
    await b.close();
  });
});

describe("failures and host paths over the simulator", () => {
  let env: SimEnv;
  beforeAll(async () => {
    env = await startSimEnv({ readyTimeoutMs: 5000 });
    await env.runtime.images.pull("busybox", undefined);
  }, 60_000);
  afterAll(async () => {
    await env.close();
  }, 60_000);

  test("a pod whose stage1 cannot be had fails with rkt's own message and leaves no unit or pod behind", async () => {
    const spec = pod("nostage1", env.logDir, {
      annotations: { "rkt.alpha.kubernetes.io/stage1-name-override": "example.com/no-such-stage1:1.0" },
    });
    process.env.RKT_SIM_REGISTRY = join(env.dir, "empty-registry.json");
    writeFileSync(process.env.RKT_SIM_REGISTRY, JSON.stringify({ images: {} }));
    try {
      const err = await env.runtime.sandboxes.run(spec).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/stage1/);
    } finally {
      delete process.env.RKT_SIM_REGISTRY;
    }
    expect(await env.runtime.sandboxes.list()).toEqual([]);
    expect(await env.backend.units.list()).toEqual([]);
    // and the name is free for the next attempt
    const podId = await env.runtime.sandboxes.run(pod("nostage1", env.logDir));
    await env.runtime.sandboxes.remove(podId);
  }, 60_000);

  test("files as volume sources (kubelet's etc-hosts, termination-log) are used as they are", async () => {
    const hostsFile = join(env.dir, "etc-hosts");
    writeFileSync(hostsFile, "127.0.0.1 localhost\n");
    const podId = await env.runtime.sandboxes.run(pod("files", env.logDir));
    const id = await env.runtime.containers.create(
      podId,
      container("f", "sleep 3600", {
        mounts: [{ containerPath: "/etc/hosts", hostPath: hostsFile, readonly: true, selinuxRelabel: false, propagation: "PRIVATE" }],
      }),
    );
    expect((await env.runtime.containers.status(id)).state).toBe(ContainerState.Created);
    await env.runtime.sandboxes.remove(podId);
  }, 60_000);

  test("a log directory outside the pod logs root is refused, naming the field", async () => {
    await expect(env.runtime.sandboxes.run(pod("outside", env.logDir, { logDirectory: "/etc/cron.d" }))).rejects.toMatchObject({
      kind: "InvalidArgument",
      field: "config.log_directory",
    });
    expect(await env.backend.units.list()).toEqual([]);
  });

  test("removing a container of a stopped pod hides it at once; removing the pod takes it away", async () => {
    const podId = await env.runtime.sandboxes.run(pod("gone", env.logDir));
    const id = await env.runtime.containers.create(podId, container("g", "sleep 3600"));
    await env.runtime.containers.start(id);
    await env.runtime.sandboxes.stop(podId);
    await env.runtime.containers.remove(id);
    await expect(env.runtime.containers.status(id)).rejects.toMatchObject({ kind: "NotFound" });
    expect(await env.runtime.containers.list({ podSandboxId: podId })).toEqual([]);
    await env.runtime.sandboxes.remove(podId);
  }, 60_000);

  test("missing host paths of volumes are created; the app sees the volume", async () => {
    const hostPath = join(env.dir, "volumes", "not", "there", "yet");
    expect(existsSync(hostPath)).toBe(false);
    const podId = await env.runtime.sandboxes.run(pod("vol", env.logDir));
    const id = await env.runtime.containers.create(
      podId,
      container("v", "sleep 3600", {
        mounts: [{ containerPath: "/data", hostPath, readonly: false, selinuxRelabel: false, propagation: "PRIVATE" }],
      }),
    );
    expect(existsSync(hostPath)).toBe(true);
    await env.runtime.containers.start(id);
    const c = await until(async () => {
      const s = await env.runtime.containers.status(id);
      return s.state === ContainerState.Running && s;
    });
    expect(c.mounts).toEqual([{ containerPath: "/data", hostPath, readonly: false, selinuxRelabel: false, propagation: "PRIVATE" }]);
    await env.runtime.sandboxes.remove(podId);
  }, 60_000);
});
