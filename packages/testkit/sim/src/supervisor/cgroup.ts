/**
 * Best effort, like stage1's systemd: each app in `<pod cgroup>/system.slice/<app>.service`, in the
 * `name=systemd` v1 hierarchy or else the unified v2 one. The pod cgroup is the sandbox's own (e.g. the
 * systemd-run unit); a sandbox sitting in the root cgroup first moves into a scope of its own, as
 * systemd-nspawn registers `machine.slice/machine-<name>.scope`, so two pods' apps never share a cgroup.
 * Skipped silently wherever the hierarchy is missing or not writable.
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface Cgroup {
  /** Mount point of the hierarchy. */
  readonly mount: string;
  /** Path inside the hierarchy ("/" for the root). */
  readonly path: string;
}

function ownCgroup(): Cgroup | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync("/proc/self/cgroup", "utf8").split("\n");
  } catch {
    return undefined;
  }
  const v1 = lines.map((l) => /^\d+:name=systemd:(.*)$/.exec(l)?.[1]).find((p) => p !== undefined);
  if (v1 !== undefined && fs.existsSync("/sys/fs/cgroup/systemd/cgroup.procs")) return { mount: "/sys/fs/cgroup/systemd", path: v1 };
  const v2 = lines.map((l) => /^0::(.*)$/.exec(l)?.[1]).find((p) => p !== undefined);
  if (v2 === undefined) return undefined;
  for (const mount of ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]) {
    if (fs.existsSync(path.join(mount, "cgroup.controllers"))) return { mount, path: v2 };
  }
  return undefined;
}

/** systemd's unit-name escaping of the pod's machine name, e.g. machine-rkt\x2d<uuid with \x2d>.scope. */
function scopeName(uuid: string): string {
  return `machine-${`rkt-${uuid}`.replace(/-/g, "\\x2d")}.scope`;
}

/** All places where a scope for this pod may exist (for cleanup after a killed sandbox). */
export function podScopeCandidates(uuid: string): string[] {
  return ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"].map((m) => path.join(m, "machine.slice", scopeName(uuid)));
}

/** Moves the sandbox out of the root cgroup into its pod scope; returns the scope directory if it did. */
export function enterPodScope(uuid: string): string | undefined {
  const own = ownCgroup();
  if (own?.path !== "/") return undefined;
  const dir = path.join(own.mount, "machine.slice", scopeName(uuid));
  // Another pod's exit may remove an empty machine.slice between the two mkdirs: retry then.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "cgroup.procs"), String(process.pid));
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") return undefined;
    }
  }
  return undefined;
}

/** Removes the pod's scope and, when no other pod uses it any more, machine.slice. */
export function removePodScope(scope: string): void {
  removeCgroupTree(scope);
  try {
    fs.rmdirSync(path.dirname(scope));
  } catch {
    // other pods' scopes are still there
  }
}

/** Removes empty cgroup directories bottom-up (service cgroups, system.slice, the scope). */
function removeCgroupTree(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // still has processes, or already gone
  }
}

/** At pod exit: back to the root cgroup (only if still in the scope), then the scope is removed. */
export function leavePodScope(scope: string): void {
  const own = ownCgroup();
  if (own && path.join(own.mount, own.path) === scope) {
    try {
      fs.writeFileSync(path.join(own.mount, "cgroup.procs"), String(process.pid));
    } catch {
      return;
    }
  }
  removePodScope(scope);
}

/** Creates the app's cgroup; returns its cgroup.procs file, or undefined when not possible. */
export function appCgroup(app: string): string | undefined {
  const own = ownCgroup();
  // Never in the root cgroup: that system.slice would be the host's.
  if (!own || own.path === "/") return undefined;
  const dir = path.join(own.mount, own.path, "system.slice", `${app}.service`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, "cgroup.procs");
  } catch {
    return undefined;
  }
}

/** Moves a process into the app's cgroup (processes it already forked stay where they are). */
export function joinCgroup(procs: string, pid: number): void {
  try {
    fs.writeFileSync(procs, String(pid));
  } catch {
    // not permitted, or the process is gone
  }
}

/** Removes the app's cgroup once empty; retried briefly while its last processes are being reaped. */
export function removeAppCgroup(procs: string, attempts = 20): void {
  const dir = path.dirname(procs);
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EBUSY" && attempts > 0) setTimeout(() => removeAppCgroup(procs, attempts - 1), 50).unref();
    return;
  }
  try {
    fs.rmdirSync(path.dirname(dir));
  } catch {
    // other apps' cgroups are still there
  }
}
