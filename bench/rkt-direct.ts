/**
 * rkt run straight from the bench, without rktlet: the same commands with the same argv, spawned the way
 * the daemon spawns them (RktRunner: execa, its own process group, the experiment environment, the
 * same global flags and data directory), and a pod start replayed command by command.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { appAddArgs, appName, RKT_ENV, RktRunner } from "@rktlet/adapters-rkt";
import type { ContainerConfig } from "@rktlet/cri-api";
// the daemon's own CRI → domain conversion, so that `app add` gets exactly the flags the daemon gives it
import { containerSpec } from "@rktlet/cri-server/dist/convert/to-domain";
import type { BenchDirs } from "./daemon";
import { timeMs } from "./stats";

/** The daemon's defaults that shape an argv: `--rkt-insecure-options` and the ready timeout (60 s). */
const INSECURE = ["image", "ondisk"];
const WAIT_READY = "--wait-ready=60s";
const POD_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class DirectRkt {
  readonly runner: RktRunner;
  /** Replayed sandboxes run as units of a manager of the bench's own, like the daemon's (`--unit-manager=process`). */
  readonly units: ProcessUnitManager;
  private readonly replayStateDir: string;

  constructor(
    private readonly dirs: BenchDirs,
    rktPath: string,
  ) {
    this.runner = new RktRunner({ rktPath, dataDir: dirs.dataDir, insecureOptions: INSECURE, commandTimeoutMs: 120_000 });
    this.replayStateDir = join(dirs.root, "replay");
    this.units = new ProcessUnitManager({ stateDir: join(this.replayStateDir, "units") });
  }

  /** One command, which must succeed; its wall time in ms. */
  async run(sub: string, args: readonly string[]): Promise<number> {
    let failed = "";
    const ms = await timeMs(async () => {
      const r = await this.runner.run(sub, args);
      if (r.exitCode !== 0) failed = `rkt ${sub} ${args.join(" ")}: exit ${r.exitCode}: ${r.stderr.trim().slice(-500)}`;
    });
    if (failed) throw new Error(failed);
    return ms;
  }

  async runMany(n: number, sub: string, args: readonly string[]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await this.run(sub, args));
    return out;
  }

  /**
   * The rkt work of RunPodSandbox, CreateContainer and StartContainer without rktlet: start `rkt app
   * sandbox` as a unit with the argv the daemon used for `template` (renamed: another unit, uuid file, log
   * directory and pod name), wait for the uuid file (polled every 5 ms), `rkt status --wait-ready`, then
   * `app add` and `app start` per container. With `sameAsRktlet`, also what rktlet runs besides on the
   * call path: a `rkt list` before each add and each start (its snapshot refreshes), and the image commands
   * it ran (`imageCommands`: an `image list` when its image cache had expired, then a `cat-manifest` per
   * image it had not read yet).
   */
  async replayPodStart(
    template: SandboxTemplate,
    replayName: string,
    containers: readonly ContainerConfig[],
    imageId: string,
    sameAsRktlet: boolean,
    imageCommands = 0,
  ): Promise<ReplayedPod> {
    const unit = `rktlet-${randomUUID()}`;
    const argv = template.argv.map((a) =>
      a.replaceAll(template.unit, unit).replaceAll(this.dirs.stateDir, this.replayStateDir).replaceAll(template.podName, replayName),
    );
    const uuidFile = flagValue(argv, "--uuid-file-save=");
    const rawLogDir = flagValue(argv, "--annotation=coreos.com/rkt/experiment/kubernetes-log-dir=");
    let uuid = "";
    const ms = await timeMs(async () => {
      await mkdir(rawLogDir, { recursive: true, mode: 0o700 });
      await mkdir(dirname(uuidFile), { recursive: true, mode: 0o700 });
      await this.units.start({
        name: `${unit}.service`,
        description: `bench replay ${replayName}`,
        argv,
        env: { ...RKT_ENV },
        slice: "",
        workingDirectory: "/",
      });
      uuid = await pollUuid(uuidFile, 30_000);
      await this.run("status", [uuid, "--format=json", WAIT_READY]);
      for (const [i, config] of containers.entries()) {
        const spec = containerSpec(config);
        const app = appName(spec.metadata);
        if (sameAsRktlet) await this.run("list", ["--format=json"]);
        if (sameAsRktlet && i === 0) {
          for (let k = 0; k < imageCommands; k++)
            await this.run("image", k === 0 ? ["list", "--full", "--format=json", "--sort=importtime"] : ["cat-manifest", imageId]);
        }
        await this.run("app", ["add", uuid, imageId, ...appAddArgs(spec, { appName: app, rawLogPath: `${app}.log` })]);
        if (sameAsRktlet) await this.run("list", ["--format=json"]);
        await this.run("app", ["start", uuid, `--app=${app}`]);
      }
    });
    return { ms, uuid, unit, uuidFile, rawLogDir };
  }

  /** Takes a replayed pod down with rkt (stop, wait, rm) and forgets its unit. */
  async removeReplayed(p: ReplayedPod): Promise<void> {
    if (p.uuid) {
      await this.runner.run("stop", ["--force=false", p.uuid]);
      await this.runner.run("status", ["--wait=30s", p.uuid]);
      await this.runner.run("rm", [p.uuid]);
    }
    await this.units.stop(`${p.unit}.service`, 5000);
    await this.units.reset(`${p.unit}.service`);
    await rm(p.uuidFile, { force: true });
    await rm(p.rawLogDir, { recursive: true, force: true });
  }

  /** Stops whatever replayed sandbox is left (after a failure). */
  async stopLeftovers(): Promise<void> {
    for (const u of await this.units.list()) await this.units.stop(u.name, 3000);
  }
}

/** The command line the daemon ran a pod's `rkt app sandbox` with, and the names in it. */
export interface SandboxTemplate {
  readonly argv: readonly string[];
  /** The unit name without `.service`, as it appears in paths and annotations. */
  readonly unit: string;
  readonly podName: string;
}

export interface ReplayedPod {
  readonly ms: number;
  readonly uuid: string;
  readonly unit: string;
  readonly uuidFile: string;
  readonly rawLogDir: string;
}

/**
 * The daemon's process unit manager writes every unit's argv to `<state-dir>/units/<unit>.json`; the unit
 * of a pod is the one whose `--uuid-file-save` file holds the pod's id.
 */
export async function sandboxTemplate(dirs: BenchDirs, podId: string, podName: string): Promise<SandboxTemplate> {
  const unitsDir = join(dirs.stateDir, "units");
  for (const f of await readdir(unitsDir)) {
    if (!f.endsWith(".json")) continue;
    const record = JSON.parse(await readFile(join(unitsDir, f), "utf8")) as { name: string; argv: string[] };
    const uuidFile = record.argv.find((a) => a.startsWith("--uuid-file-save="))?.slice("--uuid-file-save=".length);
    if (!uuidFile) continue;
    const id = await readFile(uuidFile, "utf8").then(
      (s) => s.trim(),
      () => "",
    );
    if (id === podId) return { argv: record.argv, unit: record.name.replace(/\.service$/, ""), podName };
  }
  throw new Error(`no unit record of the daemon runs pod ${podId}`);
}

function flagValue(argv: readonly string[], prefix: string): string {
  const a = argv.find((x) => x.startsWith(prefix));
  if (!a) throw new Error(`the sandbox argv has no ${prefix}`);
  return a.slice(prefix.length);
}

async function pollUuid(file: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, "utf8").then(
      (s) => s.trim(),
      () => "",
    );
    if (POD_UUID.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`no pod uuid in ${file} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
