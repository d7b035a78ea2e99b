import type { DaemonOptions } from "../daemon/options";
import { checkCgroupDriver, checkCgroupLayout } from "./checks/cgroups";
import { checkDataMount } from "./checks/data-mount";
import { checkFreeSpace } from "./checks/disk";
import { checkNetwork } from "./checks/network";
import { probeRkt } from "./checks/rkt";
import { checkRoot } from "./checks/root";
import { checkSocket } from "./checks/socket";
import { checkStage1 } from "./checks/stage1";
import { checkUnits } from "./checks/units";
import { bounded } from "./timeout";
import { type CheckResult, DEFAULT_HOST, type DoctorContext, type DoctorHost, type DoctorReport, type RktProbe } from "./types";

/**
 * Runs every check (concurrently, each within its time limit) and returns the results in a fixed order.
 * Nothing here prints; runDoctor formats the report.
 */
export async function collectDoctorReport(options: DaemonOptions, host: Partial<DoctorHost> = {}): Promise<DoctorReport> {
  const h: DoctorHost = { ...DEFAULT_HOST, ...host };
  let settleRkt: (probe: RktProbe) => void = () => undefined;
  const ctx: DoctorContext = { options, host: h, rkt: new Promise<RktProbe>((resolve) => (settleRkt = resolve)) };
  const rktCheck = (async () => {
    let probe: RktProbe | undefined;
    const r = await bounded("rkt", "rkt binary", h.timeoutMs, async () => {
      probe = await probeRkt(ctx);
      return probe.result;
    });
    // a timeout or a crash of the probe still yields a result, and no version
    settleRkt(probe?.result === r ? probe : { result: r, version: "" });
    return r;
  })();
  const t = h.timeoutMs;
  const checks: Promise<CheckResult>[] = [
    bounded("root", "running as root", t, () => checkRoot(ctx)),
    rktCheck,
    bounded("stage1", "stage1 image", h.stage1TimeoutMs, () => checkStage1(ctx)),
    bounded("units", "unit manager", t, () => checkUnits(ctx)),
    bounded("cgroups", "cgroup layout", t, () => checkCgroupLayout(ctx)),
    bounded("cgroup-driver", "cgroup driver", t, () => checkCgroupDriver(ctx)),
    bounded("data-mount", "data dir propagation", t, () => checkDataMount(ctx)),
    bounded("network", "pod network", t, () => checkNetwork(ctx)),
    bounded("socket", "CRI socket", t, () => checkSocket(ctx)),
    bounded("disk-data", "free space (data)", t, () => checkFreeSpace("disk-data", "data", "--rkt-data-dir", options.rktDataDir)),
    bounded("disk-state", "free space (state)", t, () => checkFreeSpace("disk-state", "state", "--state-dir", options.stateDir)),
  ];
  const results = await Promise.all(checks);
  return { checks: results, exitCode: exitCodeOf(results) };
}

/** Non-zero when anything blocks pods; warnings alone leave it 0. */
export function exitCodeOf(checks: readonly CheckResult[]): number {
  return checks.some((c) => c.status === "fail") ? 1 : 0;
}
