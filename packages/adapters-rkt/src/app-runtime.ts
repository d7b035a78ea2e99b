import { mkdir, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import {
  type AppRuntime,
  type Container,
  type ContainerSpec,
  ErrorKind,
  type ExecSyncOptions,
  type ExecSyncResult,
  failedPrecondition,
  type Image,
  invalidArgument,
  type LinuxResources,
  notFound,
  type PodSandbox,
  RktletError,
} from "@rktlet/core";
import { killProcessGroup } from "@rktlet/node-support";
import { appProcesses } from "./app-processes";
import { appCgroups } from "./cgroups/paths";
import { ensureOk, rktError } from "./cli/errors";
import { appAddArgs } from "./commands/app-add-args";
import { appName, containerId, parseContainerId, Reserved, refuseReserved } from "./commands/names";
import { paths, type RktContext } from "./context";
import { isCriPod, toContainer } from "./mapping";
import { storeResources, updateCgroupResources } from "./resources";

const nowString = (ctx: RktContext) => String(ctx.clock.now());

/** How long ExecSync waits for a finished command's output pipes to close. */
const EXEC_DRAIN_MS = 2000;

/** rkt's own failures of `rkt app exec` (as opposed to the command's exit status), by exit code and text. */
const EXEC_RKT_FAILURE = /^(exec: |Error: Unable to fopen "\/rkt\/env\/|Error: Chroot )/m;

/** kubelet's log file for a container: the pod's log directory joined with the relative path, never outside it. */
export function criLogPath(logDirectory: string, logPath: string): string {
  if (!logDirectory || !logPath) return "";
  const full = resolve(logDirectory, logPath);
  const rel = relative(logDirectory, full);
  if (rel.startsWith("..") || isAbsolute(rel)) throw invalidArgument("config.log_path", "must stay inside the pod's log directory");
  return full;
}

/** Containers as apps of the rkt pod: `rkt app add/start/stop/rm/exec`. Reads come from the shared snapshot. */
/** Is `path` `root` itself or inside it? */
const within = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** rkt pod states after the pod's processes are gone. */
const ENDED_POD_STATES = new Set(["exited", "exited garbage", "exited deleting", "garbage", "deleting", "aborted prepare"]);

export class RktAppRuntime implements AppRuntime {
  constructor(private readonly ctx: RktContext) {}

  async create(sandbox: PodSandbox, spec: ContainerSpec, image: Image): Promise<string> {
    refuseReserved("config.annotations", spec.annotations);
    const pod = (await this.ctx.snapshot.pods()).find((p) => p.uuid === sandbox.id);
    const unit = pod?.userAnnotations[Reserved.UnitName];
    if (!pod || !unit) throw notFound("pod sandbox", sandbox.id);
    const app = appName(spec.metadata);
    const id = containerId(sandbox.id, app);
    const rawLogDir = paths(this.ctx.config.stateDir).rawLogDir(unit);
    const rawLogName = `${app}.log`;
    const args = appAddArgs(spec, { appName: app, rawLogPath: rawLogName });
    const logPath = criLogPath(sandbox.logDirectory, spec.logPath);
    this.refuseLogPathClash(sandbox.id, logPath, spec.logPath);
    await createMissingHostPaths(spec);
    const record = {
      id,
      createdAt: nowString(this.ctx),
      criLogPath: logPath,
      rawLogPath: join(rawLogDir, rawLogName),
      ...(spec.resources ? { resources: storeResources(spec.resources) } : {}),
    };
    await this.ctx.records.put(record);
    const r = await this.ctx.runner.run("app", ["add", sandbox.id, image.id, ...args]);
    this.ctx.snapshot.invalidate();
    if (r.exitCode !== 0) {
      await this.ctx.records.delete(id);
      throw rktError(r, `creating container ${spec.metadata.name} in pod sandbox ${sandbox.id}`);
    }
    if (record.criLogPath) await this.ctx.logs.track({ id, rawPath: record.rawLogPath, criPath: record.criLogPath });
    return id;
  }

  async start(id: string): Promise<void> {
    const { podUuid, app } = this.split(id);
    ensureOk(await this.ctx.runner.run("app", ["start", podUuid, `--app=${app}`]), `starting container ${id}`);
    await this.ctx.records.update(id, { startedAt: nowString(this.ctx) });
    // No snapshot refresh: `rkt list` shows an added app as `running` already, with the pod's times, so
    // starting it changes nothing there; the record says it started. One `rkt list` saved per start.
  }

  /**
   * `rkt app stop` (SIGTERM through the pod's systemd). If it has not finished when the CRI timeout runs
   * out, the app's processes are killed from the host and rkt is asked again, so the timeout holds.
   */
  async stop(id: string, timeoutSeconds: number): Promise<void> {
    const { podUuid, app } = this.split(id);
    const { runner, config, logger } = this.ctx;
    const graceMs = Math.max(1, timeoutSeconds) * 1000;
    let r = await runner.run("app", ["stop", podUuid, `--app=${app}`], { timeoutMs: graceMs });
    if (r.timedOut) {
      const pids = await appProcesses(config.dataDir, podUuid, app);
      logger.warn({ containerId: id, timeoutSeconds, pids }, "container did not stop in time; killing it");
      for (const pid of pids) killPid(pid);
      r = await runner.run("app", ["stop", podUuid, `--app=${app}`], { timeoutMs: 10_000 });
    }
    if (r.exitCode !== 0 && !/is already stopped|isn't currently running/.test(`${r.stdout}${r.stderr}`))
      throw rktError(r, `stopping container ${id}`);
    await this.ctx.records.update(id, { finishedAt: nowString(this.ctx) });
    this.ctx.snapshot.invalidate();
  }

  async remove(id: string): Promise<void> {
    const { podUuid, app } = this.split(id);
    const pod = (await this.ctx.snapshot.pods()).find((p) => p.uuid === podUuid);
    if (pod && ENDED_POD_STATES.has(pod.state)) {
      // rkt cannot remove an app from a stopped pod (`rkt app rm` would fail): it goes with the pod
      await this.ctx.logs.untrack(id, true);
      await this.ctx.records.update(id, { removed: true });
      return;
    }
    const r = await this.ctx.runner.run("app", ["rm", podUuid, `--app=${app}`]);
    this.ctx.snapshot.invalidate();
    await this.ctx.logs.untrack(id, true);
    if (r.exitCode !== 0 && /isn't currently running/.test(r.stderr)) {
      // rkt cannot remove an app from a stopped pod; it goes with the pod. Until then it is hidden.
      await this.ctx.records.update(id, { removed: true });
      return;
    }
    if (r.exitCode !== 0 && !/nonexistent app|no matches found/.test(r.stderr)) throw rktError(r, `removing container ${id}`);
    await this.ctx.records.delete(id);
  }

  async list(): Promise<readonly Container[]> {
    const out: Container[] = [];
    for (const pod of await this.ctx.snapshot.pods()) {
      if (!isCriPod(pod)) continue;
      for (const app of pod.apps) {
        if (app.name.startsWith("rktletinternal-")) continue;
        const record = this.ctx.records.get(containerId(pod.uuid, app.name));
        if (record?.removed) continue;
        out.push(toContainer(pod, app, record));
      }
    }
    return out;
  }

  async execSync(id: string, cmd: readonly string[], options: ExecSyncOptions): Promise<ExecSyncResult> {
    const { podUuid, app } = this.split(id);
    if (cmd[0]?.startsWith("-")) throw invalidArgument("cmd[0]", "must be a command, not an option");
    const child = this.ctx.runner.spawnStreaming("app", ["exec", `--app=${app}`, podUuid, ...cmd]);
    const stdout = capture(child.stdout, options.maxOutputBytes);
    const stderr = capture(child.stderr, options.maxOutputBytes);
    let timedOut = false;
    const timer =
      options.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            if (child.pid !== undefined) killProcessGroup(child.pid, "SIGKILL");
          }, options.timeoutMs)
        : undefined;
    const exitCode = await child.exited;
    // A command that leaves a background process behind keeps the pipes open: give the output a moment
    // to end, then stop reading, so ExecSync answers when the command is done.
    const drained = Promise.all([stdout, stderr]);
    const grace = new Promise<"late">((r) => setTimeout(() => r("late"), EXEC_DRAIN_MS).unref());
    if ((await Promise.race([drained, grace])) === "late") {
      child.stdout.destroy();
      child.stderr.destroy();
    }
    clearTimeout(timer);
    const [out, err] = await drained;
    if (!timedOut && [254, 6, 22].includes(exitCode) && EXEC_RKT_FAILURE.test(err.toString("utf8"))) {
      // rkt itself failed (pod not running, app gone): an error, not the command's exit status
      const argv = this.ctx.runner.argv("app", ["exec", `--app=${app}`, podUuid]);
      throw rktError({ argv, exitCode, stdout: "", stderr: err.toString("utf8"), timedOut: false, ms: 0 }, `exec in container ${id}`);
    }
    return { stdout: out, stderr: err, exitCode, timedOut };
  }

  async reopenLog(id: string): Promise<void> {
    if (!this.ctx.logs.has(id)) throw new RktletError(ErrorKind.FailedPrecondition, `container ${id} has no log file to reopen`);
    await this.ctx.logs.reopen(id);
  }

  /**
   * Writes the new limits into the app's live cgroups (stage1's systemd made them; it does not rewrite
   * them unless told to), and keeps them in the record for ContainerStatus.
   */
  async updateResources(id: string, resources: LinuxResources): Promise<void> {
    const { podUuid, app } = this.split(id);
    const cg = await appCgroups(this.ctx.config.dataDir, podUuid, app);
    if (!cg) throw failedPrecondition(`container ${id}: its cgroups were not found; is its pod running?`);
    await updateCgroupResources(cg, resources);
    await this.ctx.records.update(id, { resources: storeResources(resources) });
    this.ctx.logger.info({ containerId: id, cgroupVersion: cg.version }, "container resources updated");
  }

  /** Two containers of a pod writing one file, or one's file being the other's directory, would break both. */
  private refuseLogPathClash(podId: string, path: string, asked: string): void {
    if (!path) return;
    const clash = this.ctx.records
      .all()
      .find(
        (r) => r.id.startsWith(`${podId}:`) && !r.removed && r.criLogPath && (within(r.criLogPath, path) || within(path, r.criLogPath)),
      );
    if (clash)
      throw invalidArgument("config.log_path", `"${asked}" clashes with the log file of container ${clash.id} (${clash.criLogPath})`);
  }

  private split(id: string): { podUuid: string; app: string } {
    const parts = parseContainerId(id);
    if (!parts) throw notFound("container", id);
    return parts;
  }
}

/**
 * rkt does not create missing host paths for volumes; kubelet expects them to appear (as docker did).
 * Existing paths, files included (kubelet mounts /etc/hosts and termination-log files), are left alone.
 */
/**
 * `mkdir -p` one directory at a time. Node's recursive mkdir never returns for a missing path under
 * /proc (it retries the EEXIST-then-ENOENT answers forever, holding a thread-pool thread at full CPU);
 * one step at a time, /proc answers ENOENT and the request is refused.
 */
async function mkdirEachStep(path: string): Promise<void> {
  let current = "/";
  for (const part of path.split("/").filter(Boolean)) {
    current = join(current, part);
    await mkdir(current).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  }
}

async function createMissingHostPaths(spec: ContainerSpec): Promise<void> {
  for (const [i, m] of spec.mounts.entries()) {
    const exists = await stat(m.hostPath).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return false;
        throw invalidArgument(`config.mounts[${i}].host_path`, `cannot be used: ${err.code ?? err.message}`);
      },
    );
    if (!exists) {
      await mkdirEachStep(m.hostPath).catch((err: NodeJS.ErrnoException) => {
        throw invalidArgument(`config.mounts[${i}].host_path`, `could not be created: ${err.code ?? err.message}`);
      });
    }
  }
}

/** SIGKILL one process; one that is already gone is fine. */
function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** Reads a stream to the end, keeping at most `max` bytes (the rest is drained and dropped). */
function capture(stream: NodeJS.ReadableStream, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (c: Buffer) => {
      if (size >= max) return;
      const take = c.subarray(0, max - size);
      chunks.push(take);
      size += take.length;
    });
    const done = () => resolve(Buffer.concat(chunks));
    stream.on("end", done);
    stream.on("close", done); // also after destroy(), which emits no "end"
    stream.on("error", reject);
  });
}
