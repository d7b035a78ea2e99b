import { readdir, rm } from "node:fs/promises";
import { UnitActiveState } from "@rktlet/core";
import { Reserved } from "./commands/names";
import { paths, type RktContext } from "./context";
import type { RktPod } from "./parse/pod";

/** The units rktlet makes for pod sandboxes; nothing else is ever touched. */
const POD_UNIT = /^(rktlet-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.service$/;

const running = new Set<string>([UnitActiveState.Active, UnitActiveState.Activating, UnitActiveState.Deactivating]);

/**
 * Finds what a daemon killed mid-call leaves behind: a pod unit whose pod rkt no longer has (killed
 * between `rkt rm` and the unit's reset), or never had (its rkt failed while no daemon watched), and uuid
 * files or raw log directories of units that are gone. Ended units are forgotten at once; a running one
 * only once it has had the ready timeout to create its pod, since a creation cut short by the kill may
 * still finish (and then its pod is listed, for kubelet to reap).
 */
export class OrphanSweeper {
  /** Running units without a pod, and when they were first seen so. */
  private readonly podless = new Map<string, number>();

  constructor(
    private readonly ctx: RktContext,
    /** Units that RunPodSandbox is starting right now: theirs is not yet a pod. */
    private readonly starting: ReadonlySet<string>,
  ) {}

  /** Whether a running unit was seen without a pod: such a unit is looked at again on the next sweep. */
  get pending(): boolean {
    return this.podless.size > 0;
  }

  async sweep(pods: readonly RktPod[]): Promise<void> {
    const { units, logger, config } = this.ctx;
    const p = paths(config.stateDir);
    // Read before anything else: a RunPodSandbox that begins later makes its files after this point,
    // and is in `starting` when they are looked at below.
    const uuidFiles = new Set(await names(p.uuidDir, ".uuid"));
    const rawLogs = new Set(await names(p.rawLogRoot, ""));
    const owned = new Set(pods.map((pod) => pod.userAnnotations[Reserved.UnitName]).filter((u): u is string => !!u));
    const now = Number(this.ctx.clock.now() / 1_000_000n);
    const withUnit = new Set<string>();
    for (const unit of await units.list()) {
      const base = POD_UNIT.exec(unit.name)?.[1];
      if (!base) continue;
      withUnit.add(base);
      // Only units with this daemon's files are its own: systemd also lists other rktlet instances' pods.
      const ours = uuidFiles.has(base) || rawLogs.has(base);
      if (!ours || owned.has(base) || this.starting.has(base)) {
        this.podless.delete(base);
        continue;
      }
      if (running.has(unit.state)) {
        const since = this.podless.get(base) ?? now;
        this.podless.set(base, since);
        if (now - since < config.readyTimeoutMs) continue;
        logger.warn({ unit: unit.name, pid: unit.mainPid }, "stopping a pod unit that has had no pod for the whole ready timeout");
        await units.stop(unit.name, 10_000);
      } else {
        logger.info({ unit: unit.name, state: unit.state, result: unit.result }, "forgetting an ended pod unit whose pod is gone");
      }
      await units.reset(unit.name);
      if (!this.starting.has(base)) await this.removeFiles(base);
      this.podless.delete(base);
    }
    for (const base of this.podless.keys()) if (!withUnit.has(base)) this.podless.delete(base);
    // files whose unit is gone, left by a kill between the unit's reset and their removal
    const stray = [...new Set([...uuidFiles, ...rawLogs])].filter((b) => !withUnit.has(b) && !owned.has(b) && !this.starting.has(b));
    if (stray.length === 0) return;
    // a pod that finished starting while this sweep ran is in rkt's list by now
    const current = new Set((await this.ctx.snapshot.pods()).map((pod) => pod.userAnnotations[Reserved.UnitName]));
    for (const base of stray) if (!current.has(base) && !this.starting.has(base)) await this.removeFiles(base);
  }

  private async removeFiles(base: string): Promise<void> {
    const p = paths(this.ctx.config.stateDir);
    await rm(p.uuidFile(base), { force: true });
    await rm(p.rawLogDir(base), { recursive: true, force: true });
  }
}

/** The pod unit names among a directory's entries (each `<name><suffix>`); none if the directory is missing. */
async function names(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries
    .filter((e) => e.endsWith(suffix))
    .map((e) => e.slice(0, e.length - suffix.length))
    .filter((n) => POD_UNIT.test(`${n}.service`));
}
