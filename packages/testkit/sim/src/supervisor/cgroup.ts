/**
 * Best effort, like stage1's systemd with CPU, memory and tasks accounting on: each app runs in
 * `<pod cgroup>/system.slice/<app>.service` in every hierarchy it can use. With cgroup v1 that is the
 * `name=systemd` hierarchy plus each controller hierarchy among cpu, cpuacct, memory and pids (separate or
 * co-mounted); with v2 only the unified hierarchy. The pod cgroup in a hierarchy is the sandbox's own
 * there (e.g. its systemd-run unit's), except:
 *  - where the sandbox sits in the root cgroup, it first moves into a scope of its own,
 *    `machine.slice/machine-rkt\x2d<uuid>.scope`, as systemd-nspawn registers one, so two pods' apps never
 *    share a cgroup (and no app lands in the host's `/system.slice`);
 *  - in a v1 controller hierarchy where the sandbox's cgroup is not its own (not the path it has in
 *    `name=systemd`, e.g. a cgroup a test runner keeps all its jobs' processes in), the scope is made
 *    UNDER that cgroup and the sandbox moves down into it: its processes never leave the cgroup they
 *    were started in.
 * Hierarchies are found from /proc/self/cgroup and /proc/self/mountinfo. Everything is skipped silently
 * wherever a hierarchy is missing or not writable; the scopes, and the app cgroups in them, are removed at
 * pod exit (or by `rm`/`gc` after a killed sandbox).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The v1 controllers an app gets a cgroup in (as systemd with CPUAccounting, MemoryAccounting, TasksAccounting). */
const CONTROLLERS = ["cpu", "cpuacct", "memory", "pids"];

interface Mount {
  readonly v2: boolean;
  /** v1: the hierarchy's controllers and name= option. */
  readonly options: readonly string[];
  /** The part of the hierarchy mounted there. */
  readonly root: string;
  readonly mountPoint: string;
}

interface Hierarchy {
  /** The controller field of /proc/self/cgroup ("name=systemd", "cpu,cpuacct", "" for v2): identifies it. */
  readonly key: string;
  /** name=systemd or the unified one, as opposed to a controller hierarchy. */
  readonly primary: boolean;
  /** Path of the process inside the hierarchy ("/" for the root). */
  readonly path: string;
  /** Directory of that cgroup. */
  readonly dir: string;
  /** Directory of the hierarchy's root cgroup, when mounted (a mount of a sub-tree shows no root). */
  readonly rootDir: string | undefined;
}

const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

let mountsCache: Mount[] | undefined;
function cgroupMounts(): Mount[] {
  if (mountsCache) return mountsCache;
  const out: Mount[] = [];
  let text = "";
  try {
    text = fs.readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    // no mountinfo: the usual places below
  }
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-", 6);
    if (sep < 0) continue;
    const type = f[sep + 1];
    if (type !== "cgroup" && type !== "cgroup2") continue;
    out.push({
      v2: type === "cgroup2",
      options: (f[sep + 3] ?? "").split(","),
      root: unescapeOctal(f[3] ?? "/"),
      mountPoint: unescapeOctal(f[4] ?? ""),
    });
  }
  if (out.length === 0) {
    out.push({ v2: false, options: ["name=systemd"], root: "/", mountPoint: "/sys/fs/cgroup/systemd" });
    for (const m of ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"])
      if (fs.existsSync(path.join(m, "cgroup.controllers"))) out.push({ v2: true, options: [], root: "/", mountPoint: m });
  }
  mountsCache = out;
  return out;
}

/** The directory of `cgPath` through the mount, if the mount shows it. */
function through(m: Mount, cgPath: string): string | undefined {
  if (m.root === "/") return path.join(m.mountPoint, cgPath);
  if (cgPath === m.root || cgPath.startsWith(`${m.root}/`)) return path.join(m.mountPoint, cgPath.slice(m.root.length));
  return undefined;
}

/** The hierarchies this process can place apps in: name=systemd and the controllers (v1), or the unified one (v2). */
function ownHierarchies(): Hierarchy[] {
  let lines: string[];
  try {
    lines = fs.readFileSync("/proc/self/cgroup", "utf8").split("\n");
  } catch {
    return [];
  }
  const found: Hierarchy[] = [];
  for (const line of lines) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const key = m[2]!;
    const cgPath = m[3]!;
    const controllers = key === "" ? [] : key.split(",");
    const primary = key === "" || controllers.includes("name=systemd");
    if (!primary && !controllers.some((c) => CONTROLLERS.includes(c))) continue;
    const mount = cgroupMounts().find((mt) => (key === "" ? mt.v2 : !mt.v2 && controllers.every((c) => mt.options.includes(c))));
    if (!mount) continue;
    const dir = through(mount, cgPath);
    if (dir === undefined || !fs.existsSync(path.join(dir, "cgroup.procs"))) continue;
    found.push({ key, primary, path: cgPath, dir, rootDir: through(mount, "/") });
  }
  // v1: the v1 ones only (a hybrid host's unified hierarchy has no controllers).
  const v1 = found.some((h) => h.key !== "");
  return found.filter((h) => (v1 ? h.key !== "" : h.key === ""));
}

/** systemd's unit-name escaping of the pod's machine name, e.g. machine-rkt\x2d<uuid with \x2d>.scope. */
function scopeName(uuid: string): string {
  return `machine-${`rkt-${uuid}`.replace(/-/g, "\\x2d")}.scope`;
}

/** All places where a scope for this pod may exist (for cleanup after a killed sandbox). */
export function podScopeCandidates(uuid: string): string[] {
  const name = scopeName(uuid);
  const out = new Set(
    ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"].map((m) => path.join(m, "machine.slice", name)),
  );
  for (const m of cgroupMounts()) if (m.root === "/") out.add(path.join(m.mountPoint, "machine.slice", name));
  // Scopes made under a shared cgroup: this process (rm, gc) normally runs where the sandbox was started.
  for (const h of ownHierarchies()) out.add(path.join(h.dir, "machine.slice", name));
  return [...out];
}

/** A scope the sandbox moved into, and where it came from. */
interface Entered {
  readonly key: string;
  readonly scope: string;
  readonly from: string;
}
let entered: Entered[] = [];

/**
 * Gives the pod a scope in each hierarchy where its cgroup would not be its own (see the top of this file)
 * and moves the sandbox into them. Returns one of the scopes (the name=systemd one if made), which
 * `leavePodScope` removes last: while it exists, cleanup is not complete.
 */
export function enterPodScope(uuid: string): string | undefined {
  const hierarchies = ownHierarchies();
  const ownPath = hierarchies.find((h) => h.primary)?.path;
  const name = scopeName(uuid);
  for (const h of hierarchies) {
    let parent: string | undefined;
    if (h.path === "/") parent = h.rootDir;
    else if (!h.primary && h.path !== ownPath) parent = h.dir;
    if (parent === undefined) continue;
    const scope = path.join(parent, "machine.slice", name);
    if (moveInto(scope)) entered.push({ key: h.key, scope, from: h.dir });
  }
  const anchor = entered.find((e) => e.key.split(",").includes("name=systemd") || e.key === "") ?? entered[0];
  return anchor?.scope;
}

/** Creates the scope and moves this process into it. */
function moveInto(scope: string): boolean {
  // Another pod's exit may remove an empty machine.slice between the two mkdirs: retry then.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.mkdirSync(scope, { recursive: true });
      fs.writeFileSync(path.join(scope, "cgroup.procs"), String(process.pid));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
        removePodScope(scope);
        return false;
      }
    }
  }
  return false;
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

/**
 * At pod exit: back to where the sandbox came from in each hierarchy (only where it is still in the scope),
 * then the scopes are removed; `scope` (the one enterPodScope returned) only once all others are gone.
 */
export function leavePodScope(scope: string): void {
  const mine = entered.length > 0 ? entered : [{ key: "", scope, from: "" }];
  const here = new Map(ownHierarchies().map((h) => [h.key, h.dir]));
  const others = mine.filter((e) => e.scope !== scope);
  for (const e of [...others, ...mine.filter((e) => e.scope === scope)]) {
    if (e.scope === scope && others.some((o) => fs.existsSync(o.scope))) return;
    if (e.from !== "" && here.get(e.key) === e.scope) {
      try {
        fs.writeFileSync(path.join(e.from, "cgroup.procs"), String(process.pid));
      } catch {
        continue;
      }
    }
    removePodScope(e.scope);
  }
  if (!fs.existsSync(scope)) entered = entered.filter((e) => fs.existsSync(e.scope));
}

/** An app's cgroups: the cgroup.procs file of each. */
export interface AppCgroup {
  readonly procs: readonly string[];
}

/**
 * Creates the app's cgroup in each hierarchy where the sandbox has a pod cgroup of its own; undefined when
 * there is none.
 */
export function appCgroup(app: string): AppCgroup | undefined {
  const hierarchies = ownHierarchies();
  const ownPath = hierarchies.find((h) => h.primary)?.path;
  const procs: string[] = [];
  for (const h of hierarchies) {
    // Never in a root cgroup (that system.slice would be the host's), nor in a controller cgroup shared
    // with other pods (where entering a scope failed).
    if (h.path === "/") continue;
    if (!h.primary && h.path !== ownPath && !entered.some((e) => e.scope === h.dir)) continue;
    const dir = path.join(h.dir, "system.slice", `${app}.service`);
    try {
      fs.mkdirSync(dir, { recursive: true });
      procs.push(path.join(dir, "cgroup.procs"));
    } catch {
      // read-only or missing hierarchy
    }
  }
  return procs.length > 0 ? { procs } : undefined;
}

/** Moves a process into the app's cgroups (processes it already forked stay where they are). */
export function joinCgroup(cgroup: AppCgroup, pid: number): void {
  for (const procs of cgroup.procs) {
    try {
      fs.writeFileSync(procs, String(pid));
    } catch {
      // not permitted, or the process is gone
    }
  }
}

/** Removes the app's cgroups once empty; each retried briefly while its last processes are being reaped. */
export function removeAppCgroup(cgroup: AppCgroup, attempts = 20): void {
  for (const procs of cgroup.procs) removeOne(path.dirname(procs), attempts);
}

function removeOne(dir: string, attempts: number): void {
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EBUSY" && attempts > 0) setTimeout(() => removeOne(dir, attempts - 1), 50).unref();
    return;
  }
  try {
    fs.rmdirSync(path.dirname(dir));
  } catch {
    // other apps' cgroups are still there
  }
}
