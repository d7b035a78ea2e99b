import { readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseMountEntries } from "@rktlet/node-support";
import { POD_UUID } from "../commands/names";

/**
 * Where an rkt pod's and its apps' cgroups are on the host, per controller.
 *
 * rkt records the pod's stage1 pid in `<dataDir>/pods/run/<uuid>/pid`. That process (the pod's systemd, or
 * whatever runs as the pod's PID 1) sits in the pod's cgroup, or in `<pod cgroup>/init.scope` when systemd
 * has moved itself there; stage1's systemd runs each app as `<app>.service`, so an app's cgroup is
 * `<pod cgroup>/system.slice/<app>.service` in every hierarchy where systemd created one (always the
 * `name=systemd` or unified one; the controller hierarchies when accounting or a limit is on).
 *
 * /proc/<pid>/cgroup gives the path inside each hierarchy, /proc/self/mountinfo where each hierarchy is
 * mounted (and which part of it: a mount's root need not be the hierarchy's root). Both are read once per
 * pod and cached until the pod's pid changes; nothing here starts a process.
 *
 * Only directories that exist are reported, so writers of resource limits can use every directory they get.
 * A hierarchy where the pod's path is the root (`/`) is left out: the pod has no cgroup of its own there,
 * and `/system.slice/<app>.service` would be the host's unit.
 */

/** The controllers rktlet reads and limits, plus the hierarchies that track processes. */
export interface CgroupDirMap {
  /** v1 `cpu` (cpu.shares, cpu.cfs_quota_us, cpu.cfs_period_us). Same directory as cpuacct when co-mounted. */
  readonly cpu?: string;
  /** v1 `cpuacct` (cpuacct.usage). */
  readonly cpuacct?: string;
  /** v1 `memory` (memory.usage_in_bytes, memory.stat, memory.limit_in_bytes). */
  readonly memory?: string;
  /** v1 `pids` (pids.current, pids.max). */
  readonly pids?: string;
  /** v1 `cpuset` (cpuset.cpus, cpuset.mems). */
  readonly cpuset?: string;
  /** v1 `name=systemd`: no controller, but cgroup.procs lists the processes. */
  readonly systemd?: string;
  /** The unified (v2) hierarchy: every controller's files when `version` is 2; on a hybrid host only processes. */
  readonly unified?: string;
}

export interface CgroupDirs {
  /** 1: controllers in separate v1 hierarchies (`dirs.cpu`, `dirs.memory`, …); 2: all in `dirs.unified`. */
  readonly version: 1 | 2;
  /** The pod's stage1 pid the directories were found from. */
  readonly pid: number;
  readonly dirs: CgroupDirMap;
}

export interface CgroupPathOptions {
  /**
   * Where the host's file system is seen: `/proc/…` and the cgroup mount points are read under it. "/" by
   * default; tests point it at a fake tree.
   */
  readonly root?: string;
}

type Key = keyof CgroupDirMap;
const V1_CONTROLLERS = ["cpu", "cpuacct", "memory", "pids", "cpuset"] as const;

/** An app name as rkt accepts it (an ACName): nothing that could leave the pod's cgroup. */
const APP_NAME = /^[a-z0-9][a-z0-9-]{0,252}$/;

interface PodEntry {
  readonly pid: number;
  /** /proc/<pid>/cgroup as last read, and when (ms): re-read now and then, in case the pod moved early on. */
  readonly text: string;
  readonly checkedAt: number;
  readonly result: CgroupDirs;
}

/** How often a cached pod's /proc/<pid>/cgroup is read again to see whether it moved. */
const REVALIDATE_MS = 10_000;

const MAX_CACHED_PODS = 4096;
const cache = new Map<string, PodEntry>();

/** The pod's own cgroup directories, or undefined when the pod is not running (or has no cgroup found). */
export async function podCgroups(dataDir: string, uuid: string, opts: CgroupPathOptions = {}): Promise<CgroupDirs | undefined> {
  if (!POD_UUID.test(uuid)) return undefined;
  const root = opts.root ?? "/";
  const key = `${root}\0${dataDir}\0${uuid}`;
  const pid = await readPid(join(dataDir, "pods", "run", uuid, "pid"));
  if (pid === undefined) {
    cache.delete(key);
    return undefined;
  }
  const cached = cache.get(key);
  const now = Date.now();
  if (cached?.pid === pid && now - cached.checkedAt < REVALIDATE_MS) return cached.result;
  const text = await readFile(join(root, "proc", String(pid), "cgroup"), "utf8").catch(() => undefined);
  if (text === undefined) {
    cache.delete(key);
    return undefined;
  }
  if (cached?.pid === pid && cached.text === text) {
    cache.set(key, { ...cached, checkedAt: now });
    return cached.result;
  }
  const result = await resolvePod(root, pid, text);
  cache.delete(key);
  if (result) {
    if (cache.size >= MAX_CACHED_PODS) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, { pid, text, checkedAt: now, result });
  }
  return result;
}

/**
 * An app's cgroup directories (`<pod cgroup>/system.slice/<app>.service` in each hierarchy where it exists),
 * or undefined when the pod is not running or the app has no cgroup in any hierarchy (not started, exited
 * and cleaned up, removed).
 */
export async function appCgroups(
  dataDir: string,
  uuid: string,
  app: string,
  opts: CgroupPathOptions = {},
): Promise<CgroupDirs | undefined> {
  if (!APP_NAME.test(app)) return undefined;
  const pod = await podCgroups(dataDir, uuid, opts);
  if (!pod) return undefined;
  const unit = join("system.slice", `${app}.service`);
  const checked = new Map<string, Promise<boolean>>();
  const exists = (dir: string) => {
    let p = checked.get(dir);
    if (!p) {
      p = isDir(dir);
      checked.set(dir, p);
    }
    return p;
  };
  const dirs: Partial<Record<Key, string>> = {};
  await Promise.all(
    (Object.entries(pod.dirs) as [Key, string][]).map(async ([k, podDir]) => {
      const dir = join(podDir, unit);
      if (await exists(dir)) dirs[k] = dir;
    }),
  );
  if (Object.keys(dirs).length === 0) return undefined;
  return { version: pod.version, pid: pod.pid, dirs };
}

/** Forgets every cached pod (tests, or after cgroup mounts changed). */
export function clearCgroupCache(): void {
  cache.clear();
}

/** Sync, like the cgroup reads: a small file read on every stats call, where a thread-pool hop costs more than the read. */
async function readPid(file: string): Promise<number | undefined> {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {}
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function isDir(dir: string): Promise<boolean> {
  return statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** One line of /proc/<pid>/cgroup. */
export interface ProcCgroupLine {
  /** Controllers of a v1 hierarchy (`["cpu", "cpuacct"]`, `["name=systemd"]`); empty for the unified one. */
  readonly controllers: readonly string[];
  readonly path: string;
}

export function parseProcCgroup(text: string): ProcCgroupLine[] {
  const out: ProcCgroupLine[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, id, list, path] = m;
    // "0::/x" is the unified hierarchy; a v1 hierarchy without controllers would have a name= entry.
    const controllers = list === "" ? [] : list!.split(",");
    if (id !== "0" && controllers.length === 0) continue;
    out.push({ controllers, path: path! });
  }
  return out;
}

/** A cgroup file system mount from /proc/self/mountinfo. */
export interface CgroupMount {
  readonly version: 1 | 2;
  /** The part of the hierarchy that is mounted ("/" for all of it). */
  readonly root: string;
  readonly mountPoint: string;
  /** v1: the hierarchy's controllers and `name=` option. */
  readonly controllers: readonly string[];
}

export function parseMountinfo(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const { fsType, root, mountPoint, superOptions } of parseMountEntries(text)) {
    if (fsType === "cgroup2") out.push({ version: 2, root, mountPoint, controllers: [] });
    else if (fsType === "cgroup")
      out.push({ version: 1, root, mountPoint, controllers: superOptions.filter((o) => o.startsWith("name=") || isKnownController(o)) });
  }
  return out;
}

const KNOWN = new Set([
  "cpu",
  "cpuacct",
  "cpuset",
  "memory",
  "devices",
  "freezer",
  "net_cls",
  "blkio",
  "perf_event",
  "net_prio",
  "hugetlb",
  "pids",
  "rdma",
  "misc",
]);
const isKnownController = (o: string) => KNOWN.has(o);

/** Where a cgroup path of a hierarchy is on the file system, through one of its mounts (undefined if none shows it). */
function locate(mounts: readonly CgroupMount[], path: string): string | undefined {
  for (const m of mounts) {
    if (m.root === "/") return join(m.mountPoint, path);
    if (path === m.root || path.startsWith(`${m.root}/`)) return join(m.mountPoint, path.slice(m.root.length) || "/");
  }
  return undefined;
}

/** Mount points to try when /proc/self/mountinfo shows no cgroup mounts (unreadable): the usual layout. */
function defaultMounts(line: ProcCgroupLine): CgroupMount[] {
  if (line.controllers.length === 0) {
    return ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].map((mountPoint) => ({ version: 2, root: "/", mountPoint, controllers: [] }));
  }
  const name = line.controllers.find((c) => c.startsWith("name="));
  const dir = name ? name.slice("name=".length) : line.controllers.join(",");
  return [{ version: 1, root: "/", mountPoint: join("/sys/fs/cgroup", dir), controllers: line.controllers }];
}

async function resolvePod(root: string, pid: number, text: string): Promise<CgroupDirs | undefined> {
  const lines = parseProcCgroup(text);
  const mounts = parseMountinfo(await readFile(join(root, "proc", "self", "mountinfo"), "utf8").catch(() => ""));
  const haveMounts = mounts.length > 0;

  const dirs: Partial<Record<Key, string>> = {};
  const candidates: [Key, string][] = [];
  for (const line of lines) {
    // systemd as the pod's PID 1 moves itself into init.scope; the pod's cgroup is the one above it.
    const path = line.path.replace(/\/init\.scope$/, "") || "/";
    if (path === "/") continue;
    const v1 = line.controllers.length > 0;
    const matching = haveMounts
      ? mounts.filter((m) => (v1 ? m.version === 1 && line.controllers.every((c) => m.controllers.includes(c)) : m.version === 2))
      : defaultMounts(line);
    // The fallback names more than one possible mount of the unified hierarchy: the first that exists wins.
    for (const m of matching) {
      const found = locate([m], path);
      if (found === undefined) continue;
      const dir = join(root, found);
      if (!(await isDir(dir))) continue;
      if (!v1) candidates.push(["unified", dir]);
      else {
        for (const c of line.controllers) {
          if (c === "name=systemd") candidates.push(["systemd", dir]);
          else if ((V1_CONTROLLERS as readonly string[]).includes(c)) candidates.push([c as Key, dir]);
        }
      }
      break;
    }
  }
  for (const [k, dir] of candidates) dirs[k] ??= dir;
  if (Object.keys(dirs).length === 0) return undefined;
  // A controller in a v1 hierarchy makes it v1 (hybrid hosts mount a controller-less unified one too).
  const v1 = V1_CONTROLLERS.some((c) => dirs[c] !== undefined) || dirs.unified === undefined;
  return { version: v1 ? 1 : 2, pid, dirs };
}
