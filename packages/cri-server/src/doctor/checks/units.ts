import { existsSync } from "node:fs";
import { join } from "node:path";
import { DbusUnitManager, SystemdUnitManager } from "@rktlet/adapters-systemd";
import { silentLogger, type UnitManager } from "@rktlet/core";
import type { DaemonOptions } from "../../daemon/options";
import { probeWritable } from "../fs-probe";
import { type CheckResult, type DoctorContext, type DoctorHost, result } from "../types";

const ID = "units";
const TITLE = "unit manager";

/** The unit manager the daemon would pick, by the same rule as its `auto` (sd_booted). */
export function chosenUnitManager(options: DaemonOptions, host: DoctorHost): { kind: "systemd" | "process"; reason: string } {
  if (options.unitManager !== "auto") return { kind: options.unitManager, reason: `--unit-manager ${options.unitManager}` };
  const booted = existsSync(host.systemdRunDir);
  return booted
    ? { kind: "systemd", reason: `auto: ${host.systemdRunDir} exists` }
    : { kind: "process", reason: `auto: no ${host.systemdRunDir}, so no systemd` };
}

/** systemd: running and reachable (the bus, or systemctl). process: the supervisor's state directory is writable. */
export async function checkUnits(ctx: DoctorContext): Promise<CheckResult> {
  const { options, host } = ctx;
  const chosen = chosenUnitManager(options, host);
  if (chosen.kind === "process") {
    const dir = join(options.stateDir, "units");
    const why = await probeWritable(dir);
    if (why === undefined) return result(ID, TITLE, "ok", `process (${chosen.reason}); its state directory ${dir} is writable`);
    return result(
      ID,
      TITLE,
      "fail",
      `process (${chosen.reason}); cannot write its state directory ${dir}: ${why}`,
      "point --state-dir at a writable directory on a local file system",
    );
  }

  const booted = existsSync(host.systemdRunDir);
  const transport =
    options.systemdTransport === "dbus"
      ? `the system bus (${host.env.DBUS_SYSTEM_BUS_ADDRESS ? `DBUS_SYSTEM_BUS_ADDRESS=${host.env.DBUS_SYSTEM_BUS_ADDRESS}` : "/var/run/dbus/system_bus_socket"})`
      : "systemctl";
  const limit = Math.max(1000, host.timeoutMs - 1000);
  const units: UnitManager =
    options.systemdTransport === "dbus"
      ? new DbusUnitManager({ logger: silentLogger, callTimeoutMs: limit, busAddress: host.env.DBUS_SYSTEM_BUS_ADDRESS })
      : new SystemdUnitManager({ logger: silentLogger, commandTimeoutMs: limit });
  try {
    const listed = await units.list();
    const note = booted ? "" : `, though this host was not booted with systemd (no ${host.systemdRunDir})`;
    return result(ID, TITLE, "ok", `systemd (${chosen.reason}), reachable through ${transport}${note}; ${listed.length} rktlet unit(s)`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const found = booted
      ? `systemd (${chosen.reason}) does not answer through ${transport}: ${message}`
      : `systemd (${chosen.reason}) does not run this host (no ${host.systemdRunDir}), and ${transport} does not answer: ${message}`;
    const fix = booted
      ? `check that dbus runs (or set DBUS_SYSTEM_BUS_ADDRESS), try --systemd-transport ${options.systemdTransport === "dbus" ? "cli" : "dbus"}, or use --unit-manager process`
      : "use --unit-manager process (or auto), or run rktlet on a host booted with systemd";
    return result(ID, TITLE, "fail", found, fix);
  } finally {
    await units.close?.().catch(() => undefined);
  }
}
