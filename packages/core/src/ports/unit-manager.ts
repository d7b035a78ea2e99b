/**
 * Supervises long-running commands (a pod sandbox's `rkt app sandbox`) so they outlive the daemon:
 * systemd transient units, or a supervisor on hosts without systemd.
 */
export interface UnitSpec {
  /** Unique, ends in `.service` for systemd; safe characters only. */
  readonly name: string;
  readonly description: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** systemd slice (cgroup parent), or empty for the default. */
  readonly slice: string;
  readonly workingDirectory: string;
}

export const UnitActiveState = {
  Active: "active",
  Activating: "activating",
  Deactivating: "deactivating",
  Inactive: "inactive",
  Failed: "failed",
} as const;
export type UnitActiveState = (typeof UnitActiveState)[keyof typeof UnitActiveState];

export interface UnitStatus {
  readonly name: string;
  readonly state: UnitActiveState;
  readonly mainPid: number;
  /** Exit status of the main process once it has exited; undefined while it runs. */
  readonly exitCode: number | undefined;
  /** Why the unit ended ("success", "exit-code", "signal", "timeout", …). */
  readonly result: string;
}

/** Limits for a running unit, as systemd resource-control properties (undefined: leave as is). */
export interface UnitResources {
  /** MemoryMax, bytes. */
  readonly memoryMaxBytes?: bigint;
  /** CPUWeight (1-10000). */
  readonly cpuWeight?: bigint;
  /** CPUQuotaPerSecUSec: CPU time per second of wall time, in microseconds. */
  readonly cpuQuotaPerSecUsec?: bigint;
}

export interface UnitManager {
  /** A name for the manager in logs and Status output, e.g. "systemd" or "process". */
  readonly kind: string;
  /** Who owns the pods' cgroups: systemd (units in slices, kubelet's --cgroup-driver=systemd) or plain cgroupfs. */
  readonly cgroupDriver: "systemd" | "cgroupfs";
  start(spec: UnitSpec): Promise<UnitStatus>;
  /** Stops the unit: SIGTERM, then SIGKILL after `graceMs`. Stopping a stopped unit is a no-op. */
  stop(name: string, graceMs: number): Promise<void>;
  /** Forgets an ended unit, so nothing is left behind. Unknown names are a no-op. */
  reset(name: string): Promise<void>;
  /** Undefined for unknown units, and possibly for ones that ended cleanly (systemd unloads those). */
  status(name: string): Promise<UnitStatus | undefined>;
  list(): Promise<readonly UnitStatus[]>;
  /**
   * Changes a running unit's limits through its manager, so that they survive the manager's own
   * bookkeeping (a systemd daemon-reload). Only managers that own their units' cgroups have it.
   */
  setResources?(name: string, resources: UnitResources): Promise<void>;
  /** Releases connections (e.g. to the system bus). Units keep running. */
  close?(): Promise<void>;
}
