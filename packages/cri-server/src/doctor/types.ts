import type { DaemonOptions } from "../daemon/options";

/** `fail` blocks pods; `warn` is worth a look; `skip`: an earlier failure left nothing to check. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

/** One check's outcome, as data (what `--json` prints and tests assert on). */
export interface CheckResult {
  /** Stable identifier for scripts: `root`, `rkt`, `stage1`, `units`, `cgroups`, … */
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** What was found, one line. */
  readonly found: string;
  /** For warn and fail: what to do (a flag, a command). */
  readonly fix?: string;
}

export interface DoctorReport {
  readonly checks: readonly CheckResult[];
  /** 1 when any check failed (pods cannot run), else 0. */
  readonly exitCode: number;
}

/** Where the checks look. The defaults are the real host's; tests point them at temporary files. */
export interface DoctorHost {
  /** Environment of the commands run (rkt, systemctl) and of PATH look-ups. */
  readonly env: NodeJS.ProcessEnv;
  /** The effective uid; undefined where the platform has none. */
  readonly uid: number | undefined;
  readonly mountinfoPath: string;
  /** Exists when systemd runs the host (sd_booted). */
  readonly systemdRunDir: string;
  /** rkt's local configuration directory (`net.d` lives there). */
  readonly rktLocalConfigDir: string;
  /** Where rkt builds usually keep their default stage1 ACIs (besides the directory of the rkt binary). */
  readonly stage1SearchDirs: readonly string[];
  /** kubelet's configuration file, read for its cgroupDriver. */
  readonly kubeletConfigPath: string;
  /** Per-check time limit. */
  readonly timeoutMs: number;
  /** The stage1 check may fetch an image: it gets longer. */
  readonly stage1TimeoutMs: number;
}

export const DEFAULT_HOST: DoctorHost = {
  env: process.env,
  uid: process.getuid?.(),
  mountinfoPath: "/proc/self/mountinfo",
  systemdRunDir: "/run/systemd/system",
  rktLocalConfigDir: "/etc/rkt",
  stage1SearchDirs: ["/usr/lib/rkt/stage1-images", "/usr/lib64/rkt/stage1-images"],
  kubeletConfigPath: "/var/lib/kubelet/config.yaml",
  timeoutMs: 15_000,
  stage1TimeoutMs: 150_000,
};

/** What the checks share: the options, the host, and results other checks depend on. */
export interface DoctorContext {
  readonly options: DaemonOptions;
  readonly host: DoctorHost;
  /** The rkt binary check's outcome (the stage1 check needs a working rkt). */
  readonly rkt: Promise<RktProbe>;
}

export interface RktProbe {
  readonly result: CheckResult;
  /** The binary's path after PATH look-up, when found. */
  readonly path?: string;
  /** From `rkt version`; empty when rkt did not answer. */
  readonly version: string;
}

export const result = (id: string, title: string, status: CheckStatus, found: string, fix?: string): CheckResult =>
  fix === undefined ? { id, title, status, found } : { id, title, status, found, fix };
