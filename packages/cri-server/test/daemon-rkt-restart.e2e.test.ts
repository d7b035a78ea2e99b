import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { rktSimPath } from "@rktlet/testkit";
import { call, type Daemon, referenceClients, rktDaemonFlags, startDaemon, stopDaemon, waitForStart } from "./daemon-helpers";

/**
 * With the process unit manager: kill -9 the daemon while 10 pods run, restart it, and every pod is found,
 * stoppable and removable; afterwards nothing is left (no unit process, no unit state file).
 */
let dir: string;
let daemon: Daemon;
const flags = () => [...rktDaemonFlags(dir, rktSimPath()), "--log-level=info"];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rkr-"));
});
afterAll(async () => {
  await stopDaemon(daemon);
  const units = new ProcessUnitManager({ stateDir: join(dir, "s", "units") });
  for (const u of await units.list()) await units.stop(u.name, 3000);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

test("10 pods survive kill -9 of the daemon and are found, stopped and removed by the next one", async () => {
  daemon = startDaemon(flags());
  await waitForStart(daemon, 20_000);
  let c = referenceClients(join(dir, "cri.sock"));
  await call(c.image, "PullImage", { image: { image: "busybox" } });
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const config = {
        metadata: { name: `p${i}`, uid: `u${i}`, namespace: "default", attempt: 0 },
        log_directory: join(dir, "logs", `p${i}`),
      };
      const { pod_sandbox_id: id } = (await call(c.runtime, "RunPodSandbox", { config })) as { pod_sandbox_id: string };
      const { container_id: cid } = (await call(c.runtime, "CreateContainer", {
        pod_sandbox_id: id,
        config: { metadata: { name: "c", attempt: 0 }, image: { image: "busybox" }, command: ["sleep", "3600"], log_path: "c.log" },
      })) as { container_id: string };
      await call(c.runtime, "StartContainer", { container_id: cid });
      ids.push(id);
    }),
  );
  c.close();
  await stopDaemon(daemon, "SIGKILL");

  daemon = startDaemon(flags());
  await waitForStart(daemon, 20_000);
  c = referenceClients(join(dir, "cri.sock"));
  const pods = (await call(c.runtime, "ListPodSandbox", {})).items as { id: string; state: string }[];
  expect(pods.map((p) => p.id).sort()).toEqual([...ids].sort());
  expect(pods.every((p) => p.state === "SANDBOX_READY")).toBe(true);
  const containers = (await call(c.runtime, "ListContainers", { filter: { state: { state: "CONTAINER_RUNNING" } } }))
    .containers as unknown[];
  expect(containers).toHaveLength(10);
  for (const id of ids) {
    await call(c.runtime, "StopPodSandbox", { pod_sandbox_id: id });
    await call(c.runtime, "RemovePodSandbox", { pod_sandbox_id: id });
  }
  expect((await call(c.runtime, "ListPodSandbox", {})).items).toEqual([]);
  c.close();
  const unitsDir = join(dir, "s", "units");
  expect(existsSync(unitsDir) ? readdirSync(unitsDir) : []).toEqual([]);
  expect(await new ProcessUnitManager({ stateDir: unitsDir }).list()).toEqual([]);
}, 120_000);
