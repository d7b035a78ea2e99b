import {
  alreadyExists,
  ErrorKind,
  invalidArgument,
  RktletError,
  UnitActiveState,
  type UnitManager,
  type UnitResources,
  type UnitSpec,
  type UnitStatus,
} from "@rktlet/core";
import execa from "execa";

/** What both systemd transports share: names, checks, the status mapping and the failure report. */

export const UNIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,200}\.service$/;
const ACTIVE_STATES = new Set<string>(Object.values(UnitActiveState));

/**
 * Checks a spec before a start, and clears the way: a running unit of that name is refused, an ended one
 * is forgotten (reset-failed), so the name can be used again.
 */
export async function prepareStart(units: UnitManager, spec: UnitSpec): Promise<void> {
  if (!UNIT_NAME.test(spec.name)) throw invalidArgument("unit.name", `"${spec.name}" is not a safe service unit name`);
  if (spec.argv.length === 0) throw invalidArgument("unit.argv", "must name a command");
  const current = await units.status(spec.name);
  if (current && (current.state === UnitActiveState.Active || current.state === UnitActiveState.Activating)) {
    throw alreadyExists(`unit ${spec.name} is already running`);
  }
  if (current) await units.reset(spec.name);
}

/** systemd expands $VAR, ${VAR} and $$ in a unit's command line (bus-supplied or not): escape, so argv arrives as given. */
export function literalArgv(argv: readonly string[]): string[] {
  return argv.map((a) => a.replaceAll("$", () => "$$"));
}

/** A unit's properties as systemd reports them, to our UnitStatus; undefined for a unit systemd does not know. */
export function toUnitStatus(
  name: string,
  p: { loadState?: string; activeState?: string; mainPid?: number; execMainStatus?: number; result?: string },
): UnitStatus | undefined {
  if (p.loadState === undefined || p.loadState === "not-found") return undefined;
  const state = ACTIVE_STATES.has(p.activeState ?? "") ? (p.activeState as UnitActiveState) : UnitActiveState.Inactive;
  const ended = state === UnitActiveState.Inactive || state === UnitActiveState.Failed;
  return {
    name,
    state,
    mainPid: p.mainPid ?? 0,
    exitCode: ended && Number.isInteger(p.execMainStatus) ? p.execMainStatus : undefined,
    result: p.result ?? "",
  };
}

export function isRunning(s: UnitStatus | undefined): boolean {
  return s !== undefined && s.state !== UnitActiveState.Inactive && s.state !== UnitActiveState.Failed;
}

/** The error a failed start reports: systemd's result, the exit status, and the unit's own last words. */
export function startFailure(name: string, status: UnitStatus | undefined, detail: string): RktletError {
  const exit = status?.exitCode !== undefined ? `, exit status ${status.exitCode}` : "";
  return new RktletError(ErrorKind.Unavailable, `unit ${name} failed to start (${status?.result ?? "no status"}${exit}): ${detail}`);
}

/** The unit's last journal lines, for error messages (only on the failure path, so a process is fine). */
export async function journalTail(name: string, journalDirectory: string | undefined, lines = 20): Promise<string> {
  const dir = journalDirectory ? [`--directory=${journalDirectory}`] : [];
  const r = await execa("journalctl", [...dir, "-u", name, "-n", String(lines), "--no-pager", "-o", "cat"], {
    reject: false,
    timeout: 10_000,
  });
  return r.exitCode === 0 ? r.stdout.trim() : "";
}

/** Resource properties as `systemctl set-property` takes them (name=value). */
export function resourceAssignments(r: UnitResources): string[] {
  const out: string[] = [];
  if (r.memoryMaxBytes !== undefined) out.push(`MemoryMax=${r.memoryMaxBytes}`);
  if (r.cpuWeight !== undefined) out.push(`CPUWeight=${r.cpuWeight}`);
  // set-property takes CPUQuota as a percentage of one CPU
  if (r.cpuQuotaPerSecUsec !== undefined) out.push(`CPUQuota=${Number(r.cpuQuotaPerSecUsec) / 10_000}%`);
  return out;
}

/** What a start answers: the unit as systemd now reports it, or active if it unloaded in between. */
export function startedStatus(name: string, status: UnitStatus | undefined): UnitStatus {
  return status ?? { name, state: UnitActiveState.Active, mainPid: 0, exitCode: undefined, result: "success" };
}
