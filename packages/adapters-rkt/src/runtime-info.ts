import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CgroupDriver,
  type RuntimeCondition,
  RuntimeConditionType,
  type RuntimeFeatures,
  type RuntimeInfo,
  type RuntimeVersion,
} from "@rktlet/core";
import type { RktContext } from "./context";
import type { RktImageStore } from "./image-store";

interface Health {
  ok: boolean;
  reason: string;
  message: string;
}

const OK: Health = { ok: true, reason: "", message: "" };

/** Parses `rkt version`'s banner (`rkt Version: 1.30.0+git-dirty`). */
export function parseRktVersion(stdout: string): string {
  return /^rkt Version:\s*(\S+)/m.exec(stdout)?.[1] ?? "";
}

/**
 * What the rkt backend says about itself. Status is a hot path: conditions come from state kept up to date
 * by start-up checks and by every snapshot refresh, never from a process spawned for the call.
 */
export class RktRuntimeInfo implements RuntimeInfo {
  private rktVersion = "";
  private rkt: Health = { ok: false, reason: "RktNotChecked", message: "rktlet has not asked rkt yet" };
  private stage1: Health = OK;
  private mount: Health = OK;
  private network: Health = OK;
  private units: Health = OK;
  private podCidr = "";

  constructor(
    private readonly ctx: RktContext,
    private readonly images: RktImageStore,
    private readonly unitManagerReason = "",
  ) {}

  /** Start-up checks: rkt answers, the stage1 is present (fetched if named and missing), the network exists. */
  async check(): Promise<void> {
    const { runner, config } = this.ctx;
    const v = await runner
      .run("version", [])
      .catch((err: Error) => ({ exitCode: -1, stdout: "", stderr: err.message, spawnError: err.message }));
    this.rktVersion = v.exitCode === 0 ? parseRktVersion(v.stdout) : "";
    this.rkt = this.rktVersion
      ? OK
      : {
          ok: false,
          reason: "RktUnavailable",
          message: `rkt at ${config.rktPath} does not answer (${("spawnError" in v && v.spawnError) || v.stderr.trim().slice(0, 300) || `exit status ${v.exitCode}`}); install rkt or set --rkt-path`,
        };
    if (this.rkt.ok && config.stage1Name) {
      try {
        await this.images.ensureStage1(config.stage1Name);
        this.stage1 = OK;
      } catch (err) {
        this.stage1 = {
          ok: false,
          reason: "Stage1Missing",
          message: `stage1 image ${config.stage1Name} is not in rkt's store and could not be fetched: ${(err as Error).message}`,
        };
      }
    }
    this.network = await this.checkNetwork();
    this.units = await this.checkUnits();
  }

  /** The unit manager answers (the system bus or systemctl reachable, the process supervisor's state readable). */
  private async checkUnits(): Promise<Health> {
    const { units } = this.ctx;
    try {
      await units.list();
      return OK;
    } catch (err) {
      const fix =
        units.cgroupDriver === "systemd"
          ? "check that systemd runs and its bus is reachable (DBUS_SYSTEM_BUS_ADDRESS), or pick --unit-manager process"
          : "check --state-dir";
      return {
        ok: false,
        reason: "UnitManagerUnavailable",
        message: `the ${units.kind} unit manager does not answer (${(err as Error).message}); ${fix}`,
      };
    }
  }

  setMountHealth(h: Health): void {
    this.mount = h;
  }

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: "rkt", runtimeVersion: this.rktVersion || "unknown" };
  }

  async conditions(): Promise<readonly RuntimeCondition[]> {
    const snapshotError = this.ctx.snapshot.lastError;
    const runtime: Health = !this.rkt.ok
      ? this.rkt
      : snapshotError
        ? { ok: false, reason: "RktListFailed", message: `rkt list failed: ${snapshotError.message}` }
        : !this.stage1.ok
          ? this.stage1
          : !this.units.ok
            ? this.units
            : this.mount;
    return [
      { type: RuntimeConditionType.RuntimeReady, status: runtime.ok, reason: runtime.reason, message: runtime.message },
      { type: RuntimeConditionType.NetworkReady, status: this.network.ok, reason: this.network.reason, message: this.network.message },
    ];
  }

  async features(): Promise<RuntimeFeatures> {
    return {
      handlers: [{ name: "", recursiveReadOnlyMounts: false, userNamespaces: false }],
      supplementalGroupsPolicy: false,
      cgroupDriver: this.ctx.units.cgroupDriver === "systemd" ? CgroupDriver.Systemd : CgroupDriver.Cgroupfs,
    };
  }

  async verboseInfo(): Promise<Readonly<Record<string, string>>> {
    const { config } = this.ctx;
    return {
      rktVersion: this.rktVersion,
      rktPath: config.rktPath,
      dataDir: config.dataDir,
      stateDir: config.stateDir,
      stage1: config.stage1Name || "(rkt's default)",
      net: config.net || "default",
      insecureOptions: config.insecureOptions.join(","),
      unitManager: this.ctx.units.kind,
      unitManagerReason: this.unitManagerReason,
      podCidr: this.podCidr,
    };
  }

  async setPodCidr(cidr: string): Promise<void> {
    // rkt's networks come from CNI configurations; the CIDR is recorded for Status, not applied.
    this.podCidr = cidr;
  }

  private async checkNetwork(): Promise<Health> {
    const net = this.ctx.config.net;
    if (!net || net === "default" || net === "host" || net === "none") return OK;
    const dir = join(this.ctx.config.localConfigDir, "net.d");
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files.filter((x) => x.endsWith(".conf") || x.endsWith(".conflist"))) {
      const text = await readFile(join(dir, f), "utf8").catch(() => "");
      try {
        if ((JSON.parse(text) as { name?: string }).name === net) return OK;
      } catch {
        // not JSON: not a network configuration
      }
    }
    return {
      ok: false,
      reason: "NetworkConfigMissing",
      message: `no CNI configuration named "${net}" in ${dir}; add one or start rktlet with another --net`,
    };
  }
}
