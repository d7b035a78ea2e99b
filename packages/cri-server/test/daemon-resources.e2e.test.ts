import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appCgroups } from "@rktlet/adapters-rkt";
import { call, codeOf, podConfig, useRktDaemon } from "./daemon-helpers";

/** UpdateContainerResources on the rkt backend: the live cgroup changes, and ContainerStatus says so. */
const suite = useRktDaemon("rkd-res-");

test("a memory limit set by UpdateContainerResources is in the container's cgroup and in ContainerStatus", async () => {
  const c = suite.clients();
  await call(c.image, "PullImage", { image: { image: "busybox" } });
  const config = podConfig(suite.dir(), "res");
  const { pod_sandbox_id: podId } = (await call(c.runtime, "RunPodSandbox", { config })) as { pod_sandbox_id: string };
  const { container_id: cid } = (await call(c.runtime, "CreateContainer", {
    pod_sandbox_id: podId,
    config: {
      metadata: { name: "app", attempt: 0 },
      image: { image: "busybox" },
      command: ["sh", "-c", "sleep 3600"],
      log_path: "app.log",
      linux: { resources: { memory_limit_in_bytes: 256 << 20, cpu_shares: 512 } },
    },
    sandbox_config: config,
  })) as { container_id: string };
  await call(c.runtime, "StartContainer", { container_id: cid });
  const status = async () =>
    ((await call(c.runtime, "ContainerStatus", { container_id: cid })).status as { resources?: { linux?: Record<string, string> } })
      .resources?.linux;
  expect(await status()).toMatchObject({ memory_limit_in_bytes: String(256 << 20), cpu_shares: "512" });

  const cg = await appCgroups(join(suite.dir(), "d"), podId, cid.slice(cid.indexOf(":") + 1));
  const memoryDir = cg?.version === 1 ? cg.dirs.memory : cg?.dirs.unified;
  // the simulator places apps in the memory controller as stage1's systemd does (this host lets it)
  expect(memoryDir).toBeDefined();
  const limit = 128 << 20;
  await call(c.runtime, "UpdateContainerResources", { container_id: cid, linux: { memory_limit_in_bytes: limit } });
  expect(await status()).toMatchObject({ memory_limit_in_bytes: String(limit) });
  const file = join(memoryDir as string, cg?.version === 1 ? "memory.limit_in_bytes" : "memory.max");
  expect(readFileSync(file, "utf8").trim()).toBe(String(limit));

  // what cannot be applied is refused with the reason, and changes nothing
  expect(await codeOf(call(c.runtime, "UpdateContainerResources", { container_id: cid, linux: { cpuset_cpus: "0;reboot" } }))).toBe(
    "INVALID_ARGUMENT",
  );
  expect(await status()).toMatchObject({ memory_limit_in_bytes: String(limit) });
  await call(c.runtime, "StopContainer", { container_id: cid, timeout: 5 });
  expect(await codeOf(call(c.runtime, "UpdateContainerResources", { container_id: cid, linux: { memory_limit_in_bytes: limit } }))).toBe(
    "FAILED_PRECONDITION",
  );
  await call(c.runtime, "StopPodSandbox", { pod_sandbox_id: podId });
  await call(c.runtime, "RemovePodSandbox", { pod_sandbox_id: podId });
}, 60_000);
