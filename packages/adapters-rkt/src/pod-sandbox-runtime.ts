import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, relative, resolve } from "node:path";
import {
  ErrorKind,
  failedPrecondition,
  invalidArgument,
  type LinuxResources,
  notFound,
  type PodSandbox,
  type PodSandboxRuntime,
  type PodSandboxSpec,
  RktletError,
  UnitActiveState,
} from "@rktlet/core";
import { sleep } from "@rktlet/node-support";
import { podCgroups } from "./cgroups/paths";
import { ensureOk, rktError } from "./cli/errors";
import { loggableArgv, RKT_ENV } from "./cli/runner";
import { POD_UUID, Reserved, refuseReserved } from "./commands/names";
import { sandboxArgs } from "./commands/sandbox-args";
import { paths, type RktContext } from "./context";
import { isCriPod, toPodSandbox } from "./mapping";
import { hasCgroupFields, resourceWrites, unitResources, updateCgroupResources } from "./resources";

/** Is `path` inside `root` (or `root` itself), after resolving `.` and `..`? */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
}

/** The slice for a systemd cgroup parent such as `/kubepods.slice/kubepods-besteffort.slice/…-pod<uid>.slice`. */
export function sliceOf(cgroupParent: string): string {
  if (!cgroupParent) return "";
  const last = cgroupParent.split("/").filter(Boolean).pop() ?? "";
  if (!last.endsWith(".slice")) {
    throw invalidArgument(
      "config.linux.cgroup_parent",
      `"${cgroupParent}" is not a systemd slice; run kubelet with --cgroup-driver=systemd (rktlet's pods are systemd units)`,
    );
  }
  return last;
}

/**
 * Pod sandboxes as rkt pods: each runs `rkt app sandbox` as a unit of the UnitManager (a systemd transient
 * service, or a supervised process), which blocks for the pod's life. Reads come from the shared snapshot.
 */
export class RktPodSandboxRuntime implements PodSandboxRuntime {
  constructor(private readonly ctx: RktContext) {}

  async run(spec: PodSandboxSpec): Promise<string> {
    refuseReserved("config.annotations", spec.annotations);
    const { config, units } = this.ctx;
    if (spec.logDirectory && !isWithin(config.podLogRoot, spec.logDirectory)) {
      throw invalidArgument("config.log_directory", `must be under the pod logs root ${config.podLogRoot}`);
    }
    const slice = units.cgroupDriver === "systemd" ? sliceOf(spec.cgroupParent) : "";
    const unitName = `rktlet-${randomUUID()}`;
    this.ctx.startingUnits.add(unitName);
    try {
      return await this.start(spec, unitName, slice);
    } finally {
      this.ctx.startingUnits.delete(unitName);
    }
  }

  private async start(spec: PodSandboxSpec, unitName: string, slice: string): Promise<string> {
    const { config, runner, units, logger } = this.ctx;
    const p = paths(config.stateDir);
    const uuidFile = p.uuidFile(unitName);
    const rawLogDir = p.rawLogDir(unitName);
    await mkdir(rawLogDir, { recursive: true, mode: 0o700 });
    await mkdir(dirname(uuidFile), { recursive: true, mode: 0o700 });
    if (spec.logDirectory) await mkdir(spec.logDirectory, { recursive: true, mode: 0o755 });
    const args = sandboxArgs(spec, {
      uuidFile,
      rawLogDir,
      stage1Name: config.stage1Name,
      stage1Allowed: config.stage1Allowed,
      net: config.net,
      nodeHostname: hostname(),
      unitName,
      createdAtNs: this.ctx.clock.now(),
    });
    const argv = runner.argv("app", ["sandbox", ...args]);
    const log = logger.child({ podSandbox: spec.metadata.name, namespace: spec.metadata.namespace, unit: unitName });
    log.debug({ argv: loggableArgv(argv) }, "starting pod sandbox");
    runner.spawns.record("app sandbox");
    await units.start({
      name: `${unitName}.service`,
      description: `rktlet pod ${spec.metadata.namespace}/${spec.metadata.name}`,
      argv,
      env: { ...RKT_ENV },
      slice,
      workingDirectory: "/",
    });
    try {
      const uuid = await this.waitForUuid(uuidFile, `${unitName}.service`);
      const ready = await runner.run("status", [uuid, "--format=json", `--wait-ready=${Math.ceil(config.readyTimeoutMs / 1000)}s`], {
        timeoutMs: config.readyTimeoutMs + 10_000,
      });
      ensureOk(ready, `pod sandbox ${spec.metadata.namespace}/${spec.metadata.name} did not become ready`);
      this.ctx.snapshot.invalidate();
      log.info({ podSandboxId: uuid }, "pod sandbox ready");
      return uuid;
    } catch (err) {
      // Leave nothing behind: a half-started pod would hold the name and the unit.
      await units.stop(`${unitName}.service`, 10_000).catch(() => undefined);
      await units.reset(`${unitName}.service`).catch(() => undefined);
      const uuid = await readFile(uuidFile, "utf8").then(
        (s) => s.trim(),
        () => "",
      );
      if (POD_UUID.test(uuid)) await runner.run("rm", [uuid]).catch(() => undefined);
      await rm(uuidFile, { force: true });
      await rm(rawLogDir, { recursive: true, force: true });
      this.ctx.snapshot.invalidate();
      throw err;
    }
  }

  /** Waits for rkt to write the pod uuid, failing early (with the unit's output) if the unit dies first. */
  private async waitForUuid(uuidFile: string, unit: string): Promise<string> {
    const deadline = Date.now() + this.ctx.config.readyTimeoutMs;
    while (Date.now() < deadline) {
      const text = await readFile(uuidFile, "utf8").then(
        (s) => s.trim(),
        () => "",
      );
      if (POD_UUID.test(text)) return text;
      const status = await this.ctx.units.status(unit);
      if (!status || status.state === UnitActiveState.Failed || status.state === UnitActiveState.Inactive) {
        const tail = await this.unitOutput(unit);
        throw new RktletError(
          ErrorKind.Unavailable,
          `rkt app sandbox exited before the pod existed (${status?.result ?? "unit gone"}${status?.exitCode !== undefined ? `, exit status ${status.exitCode}` : ""})${tail ? `: ${tail}` : ""}`,
        );
      }
      await sleep(25);
    }
    throw new RktletError(ErrorKind.DeadlineExceeded, `rkt app sandbox did not create a pod within ${this.ctx.config.readyTimeoutMs} ms`);
  }

  private async unitOutput(unit: string): Promise<string> {
    const u = this.ctx.units as { outputTail?: (name: string, bytes?: number) => Promise<string> };
    if (!u.outputTail) return "";
    const tail = await u.outputTail(unit, 2048);
    return tail
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !/group "rkt" not found/.test(l))
      .slice(-4)
      .join("; ");
  }

  async stop(id: string): Promise<void> {
    const { runner, config, logger } = this.ctx;
    const pod = (await this.ctx.snapshot.pods()).find((p) => p.uuid === id);
    const stop = await runner.run("stop", ["--force=false", id]);
    if (stop.exitCode !== 0 && !/no matches found/.test(stop.stderr)) throw rktError(stop, `stopping pod sandbox ${id}`);
    // `rkt stop` returns before the pod has exited; wait for it, and fall back to the unit if rkt hangs.
    const waited = await runner.run("status", ["--wait=30s", id], { timeoutMs: 35_000 });
    if (waited.exitCode !== 0 && !/no matches found/.test(waited.stderr)) {
      const unit = pod?.userAnnotations[Reserved.UnitName];
      logger.warn({ podSandboxId: id, unit, rkt: waited.stderr.slice(-500) }, "rkt did not stop the pod; stopping its unit");
      if (unit) await this.ctx.units.stop(`${unit}.service`, config.commandTimeoutMs);
    }
    this.ctx.snapshot.invalidate();
  }

  async remove(id: string): Promise<void> {
    const { runner, config } = this.ctx;
    const pod = (await this.ctx.snapshot.pods()).find((p) => p.uuid === id);
    let r = await runner.run("rm", [id]);
    if (r.exitCode !== 0 && /is currently running/.test(r.stderr)) {
      await this.stop(id);
      r = await runner.run("rm", [id]);
    }
    if (r.exitCode !== 0 && !/no matches found/.test(r.stderr)) throw rktError(r, `removing pod sandbox ${id}`);
    const unit = pod?.userAnnotations[Reserved.UnitName];
    if (unit) {
      await this.forgetUnit(`${unit}.service`);
      const p = paths(config.stateDir);
      await rm(p.uuidFile(unit), { force: true });
      await rm(p.rawLogDir(unit), { recursive: true, force: true });
    }
    for (const app of pod?.apps ?? []) {
      const cid = `${id}:${app.name}`;
      await this.ctx.logs.untrack(cid, true);
      await this.ctx.records.delete(cid);
    }
    this.ctx.snapshot.invalidate();
  }

  /**
   * The sandbox process exits by itself shortly after `rkt rm`; wait for that (stopping it if it lingers)
   * so that resetting the unit really leaves nothing behind.
   */
  private async forgetUnit(unit: string): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const s = await this.ctx.units.status(unit);
      if (!s || (s.state !== UnitActiveState.Active && s.state !== UnitActiveState.Activating && s.state !== UnitActiveState.Deactivating))
        break;
      if (Date.now() > deadline) {
        await this.ctx.units.stop(unit, 5000);
        break;
      }
      await sleep(50);
    }
    await this.ctx.units.reset(unit);
  }

  async list(): Promise<readonly PodSandbox[]> {
    return (await this.ctx.snapshot.pods()).filter(isCriPod).map(toPodSandbox);
  }

  /**
   * Applies pod-level limits to the pod's unit. When systemd owns it, memory and CPU go through the
   * unit's properties (so a daemon-reload keeps them) and the rest into its cgroup files; otherwise all of
   * it into the cgroup files. `overhead` is kubelet's accounting of the pod's own cost, already part of
   * `resources`.
   */
  async updateResources(id: string, _overhead: LinuxResources | undefined, resources: LinuxResources | undefined): Promise<void> {
    if (!resources) return;
    if (!POD_UUID.test(id)) throw notFound("pod sandbox", id);
    const cg = await podCgroups(this.ctx.config.dataDir, id);
    const { units } = this.ctx;
    const unit = (await this.ctx.snapshot.pods()).find((p) => p.uuid === id)?.userAnnotations[Reserved.UnitName];
    const setResources = unit ? units.setResources?.bind(units) : undefined;
    const rest = setResources ? { ...resources, memoryLimitInBytes: 0n, cpuShares: 0n, cpuQuota: 0n, cpuPeriod: 0n } : resources;
    if (!cg && (!setResources || hasCgroupFields(rest)))
      throw failedPrecondition(`pod sandbox ${id}: its cgroups were not found; is it running?`);
    // every value is checked (InvalidArgument naming the field) before anything changes
    if (cg) resourceWrites(resources, cg);
    await setResources?.(`${unit}.service`, unitResources(resources));
    if (cg) await updateCgroupResources(cg, rest);
    this.ctx.logger.info({ podSandboxId: id, cgroupVersion: cg?.version, unit }, "pod sandbox resources updated");
  }
}
