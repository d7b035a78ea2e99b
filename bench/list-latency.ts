/**
 * ListPodSandbox and ListContainers latency through the real CRI server (unix socket, grpc-js) with the
 * rkt backend on the rkt simulator: 100 pods x 4 running containers. Prints p50/p99 and how many rkt
 * processes each call started, warm (inside the snapshot's age bound) and on a refresh.
 *
 *   npm run bench -- [pods] [containersPerPod]
 */
import "reflect-metadata";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { createRktBackend } from "@rktlet/adapters-rkt";
import { createCriRuntime } from "@rktlet/core";
import { CriServer, createLogger } from "@rktlet/cri-server";
import { connectCriClients, criContainerConfig, criPodConfig, rktSimPath } from "@rktlet/testkit";
import { percentiles, timeMs } from "./stats";

async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 100);
  const perPod = Number(process.argv[3] ?? 4);
  const dir = mkdtempSync(join(tmpdir(), "rkb-"));
  const units = new ProcessUnitManager({ stateDir: join(dir, "s", "units") });
  const backend = createRktBackend({
    config: {
      rktPath: rktSimPath(),
      dataDir: join(dir, "d"),
      stateDir: join(dir, "s"),
      sharedMount: false,
      podLogRoot: join(dir, "logs"),
      readyTimeoutMs: 60_000,
      watchMs: 60_000,
    },
    units,
  });
  await backend.start();
  const runtime = createCriRuntime(backend);
  const server = new CriServer({ runtime, logger: createLogger("silent") });
  const socket = join(dir, "cri.sock");
  await server.listen(socket);
  const c = connectCriClients(socket);
  try {
    const setupStart = Date.now();
    await c.image.pullImage({
      image: { image: "busybox", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
      auth: undefined,
      sandboxConfig: undefined,
    });
    const logDir = join(dir, "logs");
    mkdirSync(logDir);
    const queue = Array.from({ length: pods }, (_, i) => i);
    const worker = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const config = criPodConfig(`p${i}`, {
          metadata: { name: `p${i}`, uid: `u${i}`, namespace: "bench", attempt: 0 },
          logDirectory: join(logDir, `p${i}`),
          dnsConfig: undefined,
          portMappings: [],
          annotations: {},
        });
        const { podSandboxId } = await c.runtime.runPodSandbox({ config, runtimeHandler: "" });
        for (let j = 0; j < perPod; j++) {
          const { containerId } = await c.runtime.createContainer({
            podSandboxId,
            config: criContainerConfig(`c${j}`, { command: ["sleep", "3600"], envs: [], labels: {}, logPath: `c${j}.log` }),
            sandboxConfig: undefined,
          });
          await c.runtime.startContainer({ containerId });
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const setupMs = Date.now() - setupStart;

    const measure = async (name: string, call: () => Promise<unknown>, refresh: boolean, n: number) => {
      const samples: number[] = [];
      const spawns: number[] = [];
      for (let i = 0; i < n; i++) {
        if (refresh) backend.context.snapshot.invalidate();
        const before = backend.runner.spawns.total;
        samples.push(await timeMs(call));
        spawns.push(backend.runner.spawns.total - before);
      }
      return { call: name, mode: refresh ? "refresh" : "warm", ...percentiles(samples), rktProcessesPerCall: Math.max(...spawns) };
    };
    await c.runtime.listContainers({ filter: undefined }); // warm the snapshot
    const results = [
      await measure("ListPodSandbox", () => c.runtime.listPodSandbox({ filter: undefined }), false, 200),
      await measure("ListContainers", () => c.runtime.listContainers({ filter: undefined }), false, 200),
      await measure("ListPodSandbox", () => c.runtime.listPodSandbox({ filter: undefined }), true, 30),
      await measure("ListContainers", () => c.runtime.listContainers({ filter: undefined }), true, 30),
    ];
    const listed = (await c.runtime.listContainers({ filter: undefined })).containers.length;
    const report = {
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      pods,
      containersPerPod: perPod,
      containersListed: listed,
      setupSeconds: Math.round(setupMs / 100) / 10,
      results,
    };
    console.log(`rktlet on the rkt simulator: ${pods} pods x ${perPod} containers (${listed} listed), set up in ${report.setupSeconds}s`);
    console.table(results);
    mkdirSync(join(__dirname, "..", "results"), { recursive: true });
    writeFileSync(join(__dirname, "..", "results", "list-latency.json"), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    c.close();
    for (const s of await backend.sandboxes.list()) await runtime.sandboxes.remove(s.id).catch(() => undefined);
    await server.shutdown(2000);
    runtime.close();
    await backend.close();
    for (const u of await units.list()) await units.stop(u.name, 2000);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
