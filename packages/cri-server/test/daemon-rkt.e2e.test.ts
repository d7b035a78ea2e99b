import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { rktSimPath } from "@rktlet/testkit";
import { call, codeOf, type Daemon, referenceClients, rktDaemonFlags, startDaemon, stopDaemon, waitForStart } from "./daemon-helpers";

/**
 * `rktlet --backend rkt` with --rkt-path pointing at the rkt simulator, driven by a reference-proto
 * client: the acceptance run of the rkt backend, including kill -9 and restart.
 */
let dir: string;
let daemon: Daemon;
const socket = () => join(dir, "cri.sock");
const flags = () => [...rktDaemonFlags(dir, rktSimPath()), "--log-level=info"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rkd-"));
  daemon = startDaemon(flags());
  await waitForStart(daemon, 20_000);
}, 30_000);

afterAll(async () => {
  await stopDaemon(daemon);
  // pods outlive the daemon by design: take them down here
  const units = new ProcessUnitManager({ stateDir: join(dir, "s", "units") });
  for (const u of await units.list()) await units.stop(u.name, 3000);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const podConfig = (name: string) => ({
  metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 },
  log_directory: join(dir, "logs", name),
  labels: { app: name },
  annotations: { "example.com/note": "kept" },
});

async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("the full CRI lifecycle with a real command, ExecSync, logs, stop within its timeout, and kill -9 of the daemon", async () => {
  let c = referenceClients(socket());
  const status = await call(c.runtime, "Status", { verbose: true });
  expect((status.status as { conditions: { type: string; status: boolean }[] }).conditions).toEqual([
    expect.objectContaining({ type: "RuntimeReady", status: true }),
    expect.objectContaining({ type: "NetworkReady", status: true }),
  ]);
  expect(await call(c.runtime, "Version", {})).toMatchObject({ runtime_name: "rkt", runtime_api_version: "v1" });
  const pulled = await call(c.image, "PullImage", { image: { image: "busybox" } });
  expect(pulled.image_ref).toMatch(/^sha512-/);

  const { pod_sandbox_id: podId } = (await call(c.runtime, "RunPodSandbox", { config: podConfig("web") })) as { pod_sandbox_id: string };
  expect(((await call(c.runtime, "PodSandboxStatus", { pod_sandbox_id: podId })).status as { state: string }).state).toBe("SANDBOX_READY");
  const create = (name: string, script: string) =>
    call(c.runtime, "CreateContainer", {
      pod_sandbox_id: podId,
      config: {
        metadata: { name, attempt: 0 },
        image: { image: "busybox" },
        command: ["sh", "-c", script],
        log_path: `${name}/0.log`,
        labels: { tier: name },
      },
      sandbox_config: podConfig("web"),
    }).then((r) => r.container_id as string);
  const cid = await create("app", "echo hello; sleep 3600");
  const stubborn = await create("stubborn", "trap '' TERM; while :; do sleep 0.1; done");
  const ticker = await create("ticker", "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.02; done");
  for (const id of [cid, stubborn, ticker]) await call(c.runtime, "StartContainer", { container_id: id });
  const st = (await call(c.runtime, "ContainerStatus", { container_id: cid })).status as Record<string, unknown>;
  expect(st).toMatchObject({ state: "CONTAINER_RUNNING", log_path: join(dir, "logs", "web", "app", "0.log") });
  await waitFor(() => {
    try {
      return /^\S+ stdout F hello$/m.test(readFileSync(st.log_path as string, "utf8"));
    } catch {
      return false;
    }
  });

  const exec = await call(c.runtime, "ExecSync", { container_id: cid, cmd: ["sh", "-c", "echo out; echo err >&2; exit 4"], timeout: 10 });
  expect([Buffer.from(exec.stdout as Buffer).toString(), Buffer.from(exec.stderr as Buffer).toString(), exec.exit_code]).toEqual([
    "out\n",
    "err\n",
    4,
  ]);
  expect(await codeOf(call(c.runtime, "ExecSync", { container_id: cid, cmd: ["sleep", "10"], timeout: 1 }))).toBe("DEADLINE_EXCEEDED");

  const filtered = async (filter: Record<string, unknown>) =>
    ((await call(c.runtime, "ListContainers", { filter })).containers as { id: string }[]).map((x) => x.id).sort();
  expect(await filtered({ pod_sandbox_id: podId })).toEqual([cid, stubborn, ticker].sort());
  expect(await filtered({ label_selector: { tier: "app" } })).toEqual([cid]);
  expect(await filtered({ state: { state: "CONTAINER_RUNNING" } })).toEqual([cid, stubborn, ticker].sort());
  expect(await filtered({ id: cid })).toEqual([cid]);

  // kill -9 with pods running; a new daemon sees the same pods and containers
  const before = {
    pods: (await call(c.runtime, "ListPodSandbox", {})).items,
    containers: (await call(c.runtime, "ListContainers", {})).containers,
  };
  c.close();
  await stopDaemon(daemon, "SIGKILL");
  daemon = startDaemon(flags());
  await waitForStart(daemon, 20_000);
  c = referenceClients(socket());
  expect((await call(c.runtime, "ListPodSandbox", {})).items).toEqual(before.pods);
  expect((await call(c.runtime, "ListContainers", {})).containers).toEqual(before.containers);
  await call(c.runtime, "ExecSync", { container_id: cid, cmd: ["sh", "-c", "echo after-restart"], timeout: 10 });

  // the ticker kept writing while no daemon was converting its log: nothing lost, nothing repeated
  await new Promise((r) => setTimeout(r, 500));
  await call(c.runtime, "StopContainer", { container_id: ticker, timeout: 5 });
  const tickerLog = ((await call(c.runtime, "ContainerStatus", { container_id: ticker })).status as { log_path: string }).log_path;
  const ticks = await waitFor(() => {
    const lines = readFileSync(tickerLog, "utf8").trim().split("\n");
    return lines.length > 20 && lines.map((l) => Number(/^\S+ stdout F tick-(\d+)$/.exec(l)?.[1]));
  });
  expect(ticks).toEqual(ticks.map((_, i) => i + 1));

  // StopContainer honours its timeout even for an app that ignores SIGTERM
  const t0 = Date.now();
  await call(c.runtime, "StopContainer", { container_id: stubborn, timeout: 1 });
  expect(Date.now() - t0).toBeLessThan(15_000);
  const stopped = (await call(c.runtime, "ContainerStatus", { container_id: stubborn })).status as Record<string, unknown>;
  expect(stopped.state).toBe("CONTAINER_EXITED");
  expect(Number(stopped.finished_at)).toBeGreaterThan(Number(stopped.started_at));

  await call(c.runtime, "StopContainer", { container_id: cid, timeout: 10 });
  const exited = (await call(c.runtime, "ContainerStatus", { container_id: cid })).status as Record<string, unknown>;
  expect(exited).toMatchObject({ state: "CONTAINER_EXITED", exit_code: 15 });
  for (const id of [cid, cid, stubborn, ticker]) await call(c.runtime, "RemoveContainer", { container_id: id });
  for (let i = 0; i < 2; i++) await call(c.runtime, "StopPodSandbox", { pod_sandbox_id: podId });
  for (let i = 0; i < 2; i++) await call(c.runtime, "RemovePodSandbox", { pod_sandbox_id: podId });
  expect(await codeOf(call(c.runtime, "PodSandboxStatus", { pod_sandbox_id: podId }))).toBe("NOT_FOUND");
  expect((await call(c.runtime, "ListPodSandbox", {})).items).toEqual([]);
  c.close();
}, 120_000);
