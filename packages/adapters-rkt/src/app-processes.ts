import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Finds an app's processes on the host, to force it down when `rkt app stop` overruns the CRI timeout.
 * rkt's stage1 runs each app as `<app>.service` under the pod's systemd, so its processes are in
 * `<pod cgroup>/system.slice/<app>.service`; the pod's cgroup is the one of rkt's recorded pod pid.
 */
export async function appProcesses(dataDir: string, podUuid: string, app: string, cgroupRoot = "/sys/fs/cgroup"): Promise<number[]> {
  const pid = await podPid(dataDir, podUuid);
  if (pid === undefined) return [];
  const cgroups = await readFile(`/proc/${pid}/cgroup`, "utf8").catch(() => "");
  const candidates: string[] = [];
  for (const line of cgroups.split("\n")) {
    const [, controllers, found] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (found === undefined) continue;
    // systemd as the pod's PID 1 sits in init.scope; its apps are siblings under system.slice.
    const path = found.replace(/\/init\.scope$/, "");
    if (controllers === "name=systemd") candidates.push(join(cgroupRoot, "systemd", path));
    else if (controllers === "") candidates.push(join(cgroupRoot, "unified", path), join(cgroupRoot, path));
  }
  for (const base of candidates) {
    const procs = await readFile(join(base, "system.slice", `${app}.service`, "cgroup.procs"), "utf8").catch(() => undefined);
    if (procs !== undefined) {
      return procs
        .split("\n")
        .map((l) => Number.parseInt(l, 10))
        .filter((n) => Number.isInteger(n) && n > 0);
    }
  }
  return [];
}

/** The pod's stage1 pid as rkt records it (`pods/run/<uuid>/pid`); it holds the pod's namespaces and cgroup. */
export async function podPid(dataDir: string, podUuid: string): Promise<number | undefined> {
  const pid = await readFile(join(dataDir, "pods", "run", podUuid, "pid"), "utf8").then(
    (s) => Number.parseInt(s.trim(), 10),
    () => Number.NaN,
  );
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
