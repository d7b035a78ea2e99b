import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseMountinfo } from "@rktlet/adapters-rkt";
import { type CheckResult, type DoctorContext, result } from "../types";
import { chosenUnitManager } from "./units";

const LAYOUT = "cgroup layout";
const DRIVER = "cgroup driver";

/** What stats and resource updates read and write; without them those calls answer with less. */
const WANTED_V1 = ["cpu", "cpuacct", "memory", "pids"] as const;
const WANTED_V2 = ["cpu", "memory", "pids"] as const;

/** v1, v2 (unified) or hybrid, from the cgroup file systems mounted; and the controllers rktlet uses. */
export async function checkCgroupLayout(ctx: DoctorContext): Promise<CheckResult> {
  const { host } = ctx;
  const mounts = parseMountinfo(await readFile(host.mountinfoPath, "utf8"));
  const v1 = mounts.filter((m) => m.version === 1);
  const v1Controllers = new Set(v1.flatMap((m) => m.controllers.filter((c) => !c.startsWith("name="))));
  const unified = mounts.find((m) => m.version === 2);
  if (!unified && v1.length === 0) {
    return result(
      "cgroups",
      LAYOUT,
      "fail",
      `no cgroup file system is mounted (${host.mountinfoPath})`,
      "mount cgroup2 on /sys/fs/cgroup (or the v1 hierarchies under it): rkt's stage1 needs cgroups",
    );
  }
  if (v1Controllers.size === 0 && unified) {
    const text = await readFile(join(unified.mountPoint, "cgroup.controllers"), "utf8").catch(() => "");
    const available = new Set(text.split(/\s+/).filter(Boolean));
    const missing = WANTED_V2.filter((c) => !available.has(c));
    const found = `v2 (unified, at ${unified.mountPoint}; controllers: ${[...available].join(" ") || "none"})`;
    return missing.length === 0
      ? result("cgroups", LAYOUT, "ok", found)
      : result("cgroups", LAYOUT, "warn", `${found}; missing ${missing.join(", ")}`, missingFix(missing));
  }
  const kind = unified ? `hybrid (v1 controllers; unified hierarchy at ${unified.mountPoint})` : "v1";
  const missing = WANTED_V1.filter((c) => !v1Controllers.has(c));
  const found = `${kind}; v1 controllers: ${[...v1Controllers].sort().join(", ")}`;
  return missing.length === 0
    ? result("cgroups", LAYOUT, "ok", found)
    : result("cgroups", LAYOUT, "warn", `${found}; missing ${missing.join(", ")}`, missingFix(missing));
}

const missingFix = (missing: readonly string[]) =>
  `enable the ${missing.join(", ")} controller(s) (kernel command line, e.g. cgroup_enable=memory): container stats and resource limits need them`;

/**
 * With systemd units, pods go into the slices kubelet names in cgroup_parent, which only kubelet's systemd
 * cgroup driver gives (a cgroupfs-style parent is refused). kubelet's own configuration is read when found.
 */
export async function checkCgroupDriver(ctx: DoctorContext): Promise<CheckResult> {
  const { options, host } = ctx;
  const chosen = chosenUnitManager(options, host);
  const driver = chosen.kind === "systemd" ? "systemd" : "cgroupfs";
  const text = await readFile(host.kubeletConfigPath, "utf8").catch(() => undefined);
  const kubelet = text === undefined ? undefined : /^cgroupDriver:\s*["']?([A-Za-z]+)/m.exec(text)?.[1];
  if (driver === "cgroupfs") {
    return result(
      "cgroup-driver",
      DRIVER,
      "ok",
      `cgroupfs (${chosen.reason}): pod sandboxes are supervised processes, not systemd units, and cgroup_parent is not applied, so kubelet's cgroupDriver does not matter to rktlet`,
    );
  }
  const fix = "set cgroupDriver: systemd in kubelet's configuration (kubelet's default is cgroupfs)";
  if (kubelet === "systemd") {
    return result("cgroup-driver", DRIVER, "ok", `systemd (${chosen.reason}); ${host.kubeletConfigPath} says cgroupDriver: systemd`);
  }
  if (kubelet !== undefined) {
    return result(
      "cgroup-driver",
      DRIVER,
      "fail",
      `systemd (${chosen.reason}), but ${host.kubeletConfigPath} says cgroupDriver: ${kubelet}: RunPodSandbox refuses cgroupfs-style parents`,
      `${fix}, or use --unit-manager process`,
    );
  }
  return result(
    "cgroup-driver",
    DRIVER,
    "warn",
    `systemd (${chosen.reason}): pods are systemd units in the slices kubelet names, so kubelet must use cgroupDriver: systemd (${text === undefined ? `no ${host.kubeletConfigPath} to check` : `${host.kubeletConfigPath} does not set it`})`,
    fix,
  );
}
