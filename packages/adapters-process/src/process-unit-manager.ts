import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  alreadyExists,
  invalidArgument,
  type Logger,
  silentLogger,
  UnitActiveState,
  type UnitManager,
  type UnitSpec,
  type UnitStatus,
} from "@rktlet/core";
import {
  isSameProcessAlive,
  killProcessGroup,
  processStartTime,
  removeAbandonedTempFiles,
  sleep,
  writeJsonAtomic,
} from "@rktlet/node-support";
import { SHIM_SCRIPT } from "./shim";

/** What is written, atomically, for each unit: enough to find its process again after a restart. */
interface UnitRecord {
  readonly name: string;
  readonly description: string;
  readonly argv: readonly string[];
  readonly pid: number;
  /** /proc/PID/stat start time, so that a recycled pid is never taken for the unit. */
  readonly startTime: string;
  readonly startedAt: string;
  readonly logFile: string;
  readonly statusFile: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,200}$/;

export interface ProcessUnitManagerOptions {
  /** Directory for the state, status and output files of every unit. */
  readonly stateDir: string;
  readonly logger?: Logger;
  /** How often stop() checks whether the process is gone. */
  readonly pollMs?: number;
}

/**
 * A UnitManager for hosts without systemd. Each unit is a detached session (its own process group) under
 * a tiny sh shim that records the exit status; stdout and stderr go to a file per unit; a state file per
 * unit holds pid and start time. Units outlive the daemon, and a new daemon finds them again from the files.
 */
export class ProcessUnitManager implements UnitManager {
  readonly kind = "process";
  readonly cgroupDriver = "cgroupfs";
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly pollMs: number;

  constructor(options: ProcessUnitManagerOptions) {
    this.dir = options.stateDir;
    this.logger = options.logger ?? silentLogger;
    this.pollMs = options.pollMs ?? 50;
  }

  async start(spec: UnitSpec): Promise<UnitStatus> {
    if (!NAME_PATTERN.test(spec.name)) throw invalidArgument("unit.name", `"${spec.name}" is not a safe unit name`);
    if (spec.argv.length === 0) throw invalidArgument("unit.argv", "must name a command");
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const current = await this.status(spec.name);
    if (current && (current.state === UnitActiveState.Active || current.state === UnitActiveState.Deactivating)) {
      throw alreadyExists(`unit ${spec.name} is already running (pid ${current.mainPid})`);
    }
    await this.forget(spec.name);
    const logFile = join(this.dir, `${spec.name}.log`);
    const statusFile = join(this.dir, `${spec.name}.status`);
    const out = openSync(logFile, "a", 0o600);
    let pid: number | undefined;
    try {
      const child = spawn("/bin/sh", ["-c", SHIM_SCRIPT, "rktlet-unit", statusFile, ...spec.argv], {
        detached: true, // setsid: its own session and process group, untouched by signals to the daemon
        stdio: ["ignore", out, out],
        cwd: spec.workingDirectory || "/",
        env: { ...process.env, ...spec.env },
      });
      pid = child.pid;
      child.on("error", (err) => this.logger.error({ unit: spec.name, err: err.message }, "unit process error"));
      child.unref();
    } finally {
      closeSync(out);
    }
    if (pid === undefined) throw new Error(`could not start unit ${spec.name}`);
    const startTime = await processStartTime(pid);
    const record: UnitRecord = {
      name: spec.name,
      description: spec.description,
      argv: spec.argv,
      pid,
      startTime: String(startTime ?? 0n),
      startedAt: new Date().toISOString(),
      logFile,
      statusFile,
    };
    await writeJsonAtomic(this.recordPath(spec.name), record);
    if (spec.slice) this.logger.debug({ unit: spec.name, slice: spec.slice }, "the process unit manager does not place units in slices");
    this.logger.info({ unit: spec.name, pid }, "unit started");
    return (await this.status(spec.name)) as UnitStatus;
  }

  async stop(name: string, graceMs: number): Promise<void> {
    const record = await this.record(name);
    if (!record || !(await this.alive(record))) return;
    killProcessGroup(record.pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!(await this.alive(record))) return;
      await sleep(this.pollMs);
    }
    this.logger.warn({ unit: name, graceMs }, "unit did not stop in time, killing it");
    killProcessGroup(record.pid, "SIGKILL");
    while (await this.alive(record)) await sleep(this.pollMs);
  }

  async reset(name: string): Promise<void> {
    const record = await this.record(name);
    if (record && (await this.alive(record))) return; // only ended units are forgotten
    await this.forget(name);
  }

  async status(name: string): Promise<UnitStatus | undefined> {
    const record = await this.record(name);
    return record && this.describe(record);
  }

  async list(): Promise<readonly UnitStatus[]> {
    await removeAbandonedTempFiles(this.dir);
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
    } catch {
      return [];
    }
    const out: UnitStatus[] = [];
    for (const name of names) {
      const s = await this.status(name);
      if (s) out.push(s);
    }
    return out;
  }

  /** The last bytes a unit wrote to stdout/stderr, for error messages. */
  async outputTail(name: string, bytes = 4096): Promise<string> {
    try {
      const data = await readFile(join(this.dir, `${name}.log`));
      return data.subarray(Math.max(0, data.length - bytes)).toString("utf8");
    } catch {
      return "";
    }
  }

  private async describe(r: UnitRecord): Promise<UnitStatus> {
    if (await this.alive(r)) return { name: r.name, state: UnitActiveState.Active, mainPid: r.pid, exitCode: undefined, result: "success" };
    const text = await readFile(r.statusFile, "utf8").catch(() => undefined);
    if (text === undefined) return { name: r.name, state: UnitActiveState.Failed, mainPid: 0, exitCode: undefined, result: "signal" };
    const code = Number.parseInt(text.trim(), 10);
    return code === 0
      ? { name: r.name, state: UnitActiveState.Inactive, mainPid: 0, exitCode: 0, result: "success" }
      : { name: r.name, state: UnitActiveState.Failed, mainPid: 0, exitCode: code, result: code > 128 ? "signal" : "exit-code" };
  }

  private alive(r: UnitRecord): Promise<boolean> {
    return isSameProcessAlive(r.pid, BigInt(r.startTime));
  }

  private recordPath(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  private async record(name: string): Promise<UnitRecord | undefined> {
    if (!NAME_PATTERN.test(name)) return undefined;
    try {
      return JSON.parse(await readFile(this.recordPath(name), "utf8")) as UnitRecord;
    } catch {
      return undefined;
    }
  }

  private async forget(name: string): Promise<void> {
    for (const suffix of [".json", ".status", ".log"]) await rm(join(this.dir, `${name}${suffix}`), { force: true });
  }
}
