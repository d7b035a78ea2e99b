import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { rktSimPath } from "@rktlet/testkit";
import execa from "execa";
import { describeWithSystemd, systemdSetup } from "../../../test/systemd-env";
import { call, codeOf, type Daemon, referenceClients, rktDaemonFlags, startDaemon, stopDaemon, waitForStart } from "./daemon-helpers";

/**
 * The daemon with `--unit-manager systemd` against a real systemd: every pod sandbox is a transient unit
 * running the rkt simulator's `app sandbox`. When the systemd is the one `.ci/systemd.sh` boots in a
 * container, the daemon runs inside that container (nsenter), as it would on a systemd host: the pids the
 * simulator records for a pod are then the daemon's own view.
 */
describeWithSystemd("the daemon on a real systemd: pods as transient units", () => {
  const setup = systemdSetup();
  const NO_STAGE1 = "example.com/no-such-stage1:1.0";
  let dir: string;
  let daemon: Daemon;
  const socket = () => join(dir, "cri.sock");
  const flags = () => [
    ...rktDaemonFlags(dir, rktSimPath()).filter((f) => !f.startsWith("--unit-manager")),
    "--unit-manager=systemd",
    `--rkt-stage1-allowed=${NO_STAGE1}`,
    "--log-level=info",
  ];
  const launch = () => {
    if (!setup.leader) return startDaemon(flags());
    // inside the container the bus is at its standard path
    const { DBUS_SYSTEM_BUS_ADDRESS: _, ...env } = process.env;
    return startDaemon(flags(), env, ["nsenter", "-t", String(setup.leader), "-a", "--"]);
  };
  const systemctl = async (...args: string[]) => (await execa("systemctl", args, { reject: false })).stdout;
  const units = async () => (await systemctl("list-units", "--all", "--plain", "--no-legend", "rktlet-*")).split("\n").filter(Boolean);
  const show = async (unit: string) =>
    Object.fromEntries(
      (await systemctl("show", unit, "-p", "LoadState,ActiveState,Slice,Environment,MainPID"))
        .split("\n")
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    ) as Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(setup.sharedDir, "rkd-systemd-"));
    daemon = launch();
    await waitForStart(daemon, 30_000);
  }, 40_000);

  afterAll(async () => {
    await stopDaemon(daemon);
    // pods outlive the daemon by design: take down whatever a failed test left
    for (const line of await units()) {
      const unit = line.split(/\s+/)[0] as string;
      if (unit.startsWith("rktlet-") && !unit.startsWith("rktlet-contract")) {
        await systemctl("stop", unit);
        await systemctl("reset-failed", unit);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const podConfig = (name: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 },
    log_directory: join(dir, "logs", name),
    linux: { cgroup_parent: "/kubepods.slice/kubepods-besteffort.slice" },
    ...extra,
  });

  test("a pod is a unit in its slice while it runs, survives kill -9 of the daemon, and leaves no unit once removed", async () => {
    let c = referenceClients(socket());
    const verbose = await call(c.runtime, "Status", { verbose: true });
    expect(verbose.info).toMatchObject({ unitManager: JSON.stringify("systemd") });
    await call(c.image, "PullImage", { image: { image: "busybox" } });
    const { pod_sandbox_id: podId } = (await call(c.runtime, "RunPodSandbox", { config: podConfig("sd") })) as { pod_sandbox_id: string };

    const [unit] = (await units()).map((l) => l.split(/\s+/)[0] as string).filter((u) => !u.startsWith("rktlet-contract"));
    expect(unit).toMatch(/^rktlet-[0-9a-f-]{36}\.service$/);
    const shown = await show(unit as string);
    expect(shown).toMatchObject({ LoadState: "loaded", ActiveState: "active", Slice: "kubepods-besteffort.slice" });
    expect(shown.Environment?.split(" ")).toEqual(expect.arrayContaining(["RKT_EXPERIMENT_APP=true", "RKT_EXPERIMENT_ATTACH=true"]));

    // pod-level limits go through the unit's properties (systemd owns the pod's cgroup)
    await call(c.runtime, "UpdatePodSandboxResources", {
      pod_sandbox_id: podId,
      resources: { memory_limit_in_bytes: 256 << 20, cpu_shares: 512, cpu_quota: 50_000, cpu_period: 100_000 },
    });
    const limits = Object.fromEntries(
      (await systemctl("show", unit as string, "-p", "MemoryMax,CPUWeight,CPUQuotaPerSecUSec"))
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("=", 2)),
    );
    expect(limits).toEqual({ MemoryMax: String(256 << 20), CPUWeight: "20", CPUQuotaPerSecUSec: "500ms" });

    const { container_id: cid } = (await call(c.runtime, "CreateContainer", {
      pod_sandbox_id: podId,
      config: {
        metadata: { name: "app", attempt: 0 },
        image: { image: "busybox" },
        command: ["sh", "-c", "echo hello; sleep 3600"],
        log_path: "app/0.log",
      },
      sandbox_config: podConfig("sd"),
    })) as { container_id: string };
    await call(c.runtime, "StartContainer", { container_id: cid });
    const exec = await call(c.runtime, "ExecSync", { container_id: cid, cmd: ["sh", "-c", "echo in-unit"], timeout: 10 });
    expect(Buffer.from(exec.stdout as Buffer).toString()).toBe("in-unit\n");

    // kill -9: the unit (and so the pod) stays; a new daemon finds both
    const before = (await call(c.runtime, "ListPodSandbox", {})).items;
    c.close();
    await stopDaemon(daemon, "SIGKILL");
    expect((await show(unit as string)).ActiveState).toBe("active");
    daemon = launch();
    await waitForStart(daemon, 30_000);
    c = referenceClients(socket());
    expect((await call(c.runtime, "ListPodSandbox", {})).items).toEqual(before);
    expect(((await call(c.runtime, "ContainerStatus", { container_id: cid })).status as { state: string }).state).toBe("CONTAINER_RUNNING");

    await call(c.runtime, "StopContainer", { container_id: cid, timeout: 5 });
    await call(c.runtime, "RemoveContainer", { container_id: cid });
    await call(c.runtime, "StopPodSandbox", { pod_sandbox_id: podId });
    expect(await units()).not.toEqual(expect.arrayContaining([expect.stringContaining(unit as string)]));
    await call(c.runtime, "RemovePodSandbox", { pod_sandbox_id: podId });
    expect((await show(unit as string)).LoadState).toBe("not-found");
    expect(await codeOf(call(c.runtime, "PodSandboxStatus", { pod_sandbox_id: podId }))).toBe("NOT_FOUND");
    const log = readFileSync(join(dir, "logs", "sd", "app", "0.log"), "utf8");
    expect(log).toMatch(/^\S+ stdout F hello$/m);
    c.close();
  }, 120_000);

  test("a sandbox that fails at start fails RunPodSandbox with rkt's own words and leaves no unit behind", async () => {
    const c = referenceClients(socket());
    const before = await units();
    const t0 = Date.now();
    const err = await call(c.runtime, "RunPodSandbox", {
      config: podConfig("nostage1", { annotations: { "rkt.alpha.kubernetes.io/stage1-name-override": NO_STAGE1 } }),
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/stage1/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await units()).toEqual(before);
    expect((await call(c.runtime, "ListPodSandbox", {})).items).toEqual([]);
    c.close();
  }, 60_000);
});
