import {
  ErrorKind,
  invalidArgument,
  type Logger,
  RktletError,
  silentLogger,
  UnitActiveState,
  type UnitManager,
  type UnitResources,
  type UnitSpec,
  type UnitStatus,
} from "@rktlet/core";
import { sleep } from "@rktlet/node-support";
import execa from "execa";
import {
  isRunning,
  journalTail,
  literalArgv,
  prepareStart,
  resourceAssignments,
  startedStatus,
  startFailure,
  toUnitStatus,
  UNIT_NAME,
} from "./unit-common";

export interface SystemdUnitManagerOptions {
  readonly logger?: Logger;
  /** How long `systemd-run` may wait for the unit to report ready (sd_notify READY=1). */
  readonly startTimeoutMs?: number;
  /** Per-call timeout of systemctl. */
  readonly commandTimeoutMs?: number;
  /** A journal directory to read failure output from, when the journal is not the host's own. */
  readonly journalDirectory?: string | undefined;
  readonly pollMs?: number;
}

interface Shown {
  readonly LoadState?: string;
  readonly ActiveState?: string;
  readonly MainPID?: string;
  readonly ExecMainStatus?: string;
  readonly ExecMainCode?: string;
  readonly Result?: string;
}

/**
 * Units as systemd transient services, through `systemd-run` and `systemctl` (the bus address comes from
 * the standard DBUS_SYSTEM_BUS_ADDRESS when set). Pods then outlive the daemon and systemd owns their
 * cgroups, in the slice kubelet asked for. Starts use `--service-type=notify`: `systemd-run` returns once
 * the pod is up (rkt's stage1 notifies), or fails with the unit's reason, which is reported with the tail
 * of the unit's journal.
 */
export class SystemdUnitManager implements UnitManager {
  readonly kind = "systemd-cli";
  readonly cgroupDriver = "systemd";
  private readonly logger: Logger;
  private readonly startTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly pollMs: number;

  constructor(private readonly options: SystemdUnitManagerOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.startTimeoutMs = options.startTimeoutMs ?? 120_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
    this.pollMs = options.pollMs ?? 50;
  }

  async start(spec: UnitSpec): Promise<UnitStatus> {
    await prepareStart(this, spec);
    const args = [
      `--unit=${spec.name}`,
      `--description=${spec.description}`,
      "--service-type=notify",
      // the sandbox sends READY=1 from its own process; notifications from its children are accepted too
      "--property=NotifyAccess=all",
      `--property=TimeoutStartSec=${Math.ceil(this.startTimeoutMs / 1000)}s`,
      "--property=KillMode=mixed",
      `--working-directory=${spec.workingDirectory || "/"}`,
      ...Object.entries(spec.env).map(([k, v]) => `--setenv=${k}=${v}`),
      ...(spec.slice ? [`--slice=${spec.slice}`] : []),
      "--",
      ...literalArgv(spec.argv),
    ];
    const r = await execa("systemd-run", args, { reject: false, timeout: this.startTimeoutMs + 10_000, stdin: "ignore" });
    if (r.exitCode !== 0) {
      const tail = await this.outputTail(spec.name);
      const status = await this.status(spec.name);
      await this.reset(spec.name);
      throw startFailure(spec.name, status, tail || r.stderr.trim() || `systemd-run exit status ${r.exitCode}`);
    }
    this.logger.info({ unit: spec.name, slice: spec.slice || "system.slice" }, "unit started");
    return startedStatus(spec.name, await this.status(spec.name));
  }

  async stop(name: string, graceMs: number): Promise<void> {
    if (!isRunning(await this.status(name))) return;
    await this.systemctl(["stop", "--no-block", name]);
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!(await this.running(name))) return;
      await sleep(this.pollMs);
    }
    this.logger.warn({ unit: name, graceMs }, "unit did not stop in time, killing it");
    await this.systemctl(["kill", "--signal=SIGKILL", name]);
    while (await this.running(name)) await sleep(this.pollMs);
  }

  async setResources(name: string, resources: UnitResources): Promise<void> {
    if (!UNIT_NAME.test(name)) throw invalidArgument("unit.name", `"${name}" is not a safe service unit name`);
    const assignments = resourceAssignments(resources);
    if (assignments.length > 0) await this.systemctl(["set-property", "--runtime", name, ...assignments]);
  }

  async reset(name: string): Promise<void> {
    const s = await this.status(name);
    if (!s || s.state === UnitActiveState.Active || s.state === UnitActiveState.Activating || s.state === UnitActiveState.Deactivating)
      return;
    await this.systemctl(["reset-failed", name], true);
  }

  async status(name: string): Promise<UnitStatus | undefined> {
    if (!UNIT_NAME.test(name)) return undefined;
    const shown = await this.show(name);
    if (!shown) return undefined;
    return toUnitStatus(name, {
      ...(shown.LoadState !== undefined ? { loadState: shown.LoadState } : {}),
      ...(shown.ActiveState !== undefined ? { activeState: shown.ActiveState } : {}),
      mainPid: Number.parseInt(shown.MainPID ?? "0", 10) || 0,
      execMainStatus: Number.parseInt(shown.ExecMainStatus ?? "", 10),
      ...(shown.Result !== undefined ? { result: shown.Result } : {}),
    });
  }

  async list(): Promise<readonly UnitStatus[]> {
    const r = await this.systemctl(["list-units", "--all", "--plain", "--no-legend", "--type=service", "rktlet-*"]);
    const names = r.stdout
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0] ?? "")
      .filter((n) => UNIT_NAME.test(n));
    const out: UnitStatus[] = [];
    for (const n of names) {
      const s = await this.status(n);
      if (s) out.push(s);
    }
    return out;
  }

  /** The unit's last journal lines, for error messages. */
  outputTail(name: string, lines = 20): Promise<string> {
    return journalTail(name, this.options.journalDirectory, lines);
  }

  private async running(name: string): Promise<boolean> {
    return isRunning(await this.status(name));
  }

  private async show(name: string): Promise<Shown | undefined> {
    const r = await this.systemctl(["show", name, "-p", "LoadState,ActiveState,MainPID,ExecMainStatus,ExecMainCode,Result"], true);
    if (r.exitCode !== 0) return undefined;
    const out: Record<string, string> = {};
    for (const line of r.stdout.split("\n")) {
      const i = line.indexOf("=");
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  }

  private async systemctl(args: string[], tolerate = false): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const r = await execa("systemctl", args, { reject: false, timeout: this.commandTimeoutMs, stdin: "ignore" });
    const exitCode = typeof r.exitCode === "number" ? r.exitCode : -1;
    if (exitCode !== 0 && !tolerate) {
      throw new RktletError(ErrorKind.Unavailable, `systemctl ${args[0]} failed: ${r.stderr.trim() || `exit status ${exitCode}`}`);
    }
    return { exitCode, stdout: r.stdout, stderr: r.stderr };
  }
}
