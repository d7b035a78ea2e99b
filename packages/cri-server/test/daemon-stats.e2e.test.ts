import { call, metricsUrl, podConfig, useRktDaemon } from "./daemon-helpers";

/**
 * ListContainerStats through the daemon on the rkt simulator: real cgroup figures for every running
 * container, and no rkt process per container (counted by the daemon's own metrics).
 */
const suite = useRktDaemon("rkd-stats-", ["--metrics-address=127.0.0.1:0"]);

/** rkt commands the daemon ran, by subcommand, from its metrics. */
async function rktCommands(): Promise<Map<string, number>> {
  const text = await (await fetch(`${metricsUrl(suite.daemon())}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^rktlet_rkt_commands_total\{subcommand="([^"]+)",result="[^"]+"\} (\d+)$/gm)) {
    out.set(m[1] as string, (out.get(m[1] as string) ?? 0) + Number(m[2]));
  }
  return out;
}

interface Stats {
  attributes: { id: string };
  cpu?: { usage_core_nano_seconds?: { value: string } };
  memory?: { working_set_bytes?: { value: string }; usage_bytes?: { value: string } };
}

test("20 running containers: non-zero CPU and memory for each, and no rkt process per container", async () => {
  const c = suite.clients();
  await call(c.image, "PullImage", { image: { image: "busybox" } });
  const ids: string[] = [];
  for (let p = 0; p < 5; p++) {
    const config = podConfig(suite.dir(), `s${p}`);
    const { pod_sandbox_id: podId } = (await call(c.runtime, "RunPodSandbox", { config })) as { pod_sandbox_id: string };
    for (let i = 0; i < 4; i++) {
      const { container_id: id } = (await call(c.runtime, "CreateContainer", {
        pod_sandbox_id: podId,
        config: {
          metadata: { name: `c${i}`, attempt: 0 },
          image: { image: "busybox" },
          // a little work, so that CPU and memory are not zero
          command: ["sh", "-c", "x=; while :; do x=$x.; sleep 0.01; done"],
          log_path: `c${i}.log`,
        },
        sandbox_config: config,
      })) as { container_id: string };
      await call(c.runtime, "StartContainer", { container_id: id });
      ids.push(id);
    }
  }
  await new Promise((r) => setTimeout(r, 1000));
  await call(c.runtime, "ListContainerStats", {}); // warms the snapshot and the cgroup cache

  const before = await rktCommands();
  const t0 = Date.now();
  const rounds = 5;
  let stats: Stats[] = [];
  for (let i = 0; i < rounds; i++) stats = (await call(c.runtime, "ListContainerStats", {})).stats as Stats[];
  const after = await rktCommands();
  const seconds = Math.ceil((Date.now() - t0) / 1000);

  expect(stats.map((s) => s.attributes.id).sort()).toEqual([...ids].sort());
  for (const s of stats) {
    expect(BigInt(s.cpu?.usage_core_nano_seconds?.value ?? "0")).toBeGreaterThan(0n);
    expect(BigInt(s.memory?.working_set_bytes?.value ?? "0")).toBeGreaterThan(0n);
  }
  // only the shared snapshot's `rkt list` may run (once a second at most, not per call or container)
  const ran = [...after].filter(([sub, n]) => n !== (before.get(sub) ?? 0));
  expect(ran.filter(([sub]) => sub !== "list")).toEqual([]);
  expect((after.get("list") ?? 0) - (before.get("list") ?? 0)).toBeLessThanOrEqual(seconds + 2);
}, 90_000);
