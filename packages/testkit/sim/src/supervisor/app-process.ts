/**
 * One app as a real host process (no isolation), child of the sandbox, in its own session and process
 * group. Failures systemd would report as unit exit statuses keep their codes: 200 (working directory),
 * 203 (executable not found or not executable), 217 (unknown user or group).
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Writable } from "node:stream";
import { DEFAULT_PATH } from "../images/registry";
import type { AppRecord } from "../store/pods";
import { isRoot, killGroup, procStartTime } from "../util/proc";
import { nowNs } from "../util/time";
import type { AppCgroup } from "./cgroup";
import { type LineSink, lineSplitter } from "./logs";

export interface AppExit {
  readonly code: number;
  readonly finishedAt: bigint;
}

export interface RunningApp {
  readonly pid: number;
  readonly pidStart: number | undefined;
  readonly stdin: Writable | null;
  readonly done: Promise<AppExit>;
}

/** Where output goes; `raw` also sees every chunk unsplit (attach sockets). */
export interface OutputHooks {
  readonly sink: LineSink;
  readonly raw?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
}

export function appEnv(app: AppRecord): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of app.env) env[k] = v;
  env.PATH ??= DEFAULT_PATH;
  env.AC_APP_NAME = app.name;
  return env;
}

/**
 * A path inside the app as seen on the host: apps are not chrooted, but a path under a host volume's
 * target maps to the volume's source (so `--working-dir=<volume target>` works).
 */
export function hostPath(app: AppRecord, p: string): string {
  for (const m of app.mounts) {
    const target = m.target.replace(/\/+$/, "");
    if (m.kind === "host" && target !== "" && (p === target || p.startsWith(`${target}/`)))
      return path.join(m.source, p.slice(target.length));
  }
  return p;
}

/** Like execvp's search: a name with a slash is taken as is, otherwise looked up in PATH. */
export function resolveExecutable(cmd: string, pathEnv: string, cwd: string): string | undefined {
  const candidates = cmd.includes("/")
    ? [path.resolve(cwd, cmd)]
    : pathEnv
        .split(":")
        .filter((d) => d !== "")
        .map((d) => path.join(d, cmd));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function lookupId(file: string, name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      const f = line.split(":");
      if (f[0] === name && f[2] !== undefined) return Number(f[2]);
    }
  } catch {
    // no such database
  }
  return undefined;
}

/** uid/gid/groups to run as; only applied when the sandbox runs as root (otherwise ignored). */
export function appCredentials(app: AppRecord): { uid: number; gid: number; groups: number[] } | "unknown" | undefined {
  if (!isRoot()) return undefined;
  const uid = lookupId("/etc/passwd", app.user || "0");
  const gid = lookupId("/etc/group", app.group || "0");
  if (uid === undefined || gid === undefined) return "unknown";
  return { uid, gid, groups: app.supplementaryGids };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (os.constants.signals[signal] ?? 1) : 1;
}

const failed = (code: number): AppExit => ({ code, finishedAt: nowNs() });

let setprivPath: string | undefined | null = null;
function setpriv(): string | undefined {
  if (setprivPath === null) setprivPath = resolveExecutable("setpriv", process.env.PATH ?? DEFAULT_PATH, "/");
  return setprivPath;
}

/**
 * Starts the app. With `cgroup`, a tiny /bin/sh wrapper moves itself into the app's cgroups (one per
 * hierarchy) before exec'ing the app, so every process of the app starts there.
 */
export function startAppProcess(app: AppRecord, hooks: OutputHooks, cgroup?: AppCgroup): RunningApp | AppExit {
  const env = appEnv(app);
  const cwd = hostPath(app, app.workingDir || "/");
  try {
    if (!fs.statSync(cwd).isDirectory()) return failed(200);
  } catch {
    return failed(200);
  }
  const exe = app.exec[0] !== undefined ? resolveExecutable(app.exec[0], env.PATH ?? DEFAULT_PATH, cwd) : undefined;
  if (!exe) return failed(203);
  const creds = appCredentials(app);
  if (creds === "unknown") return failed(217);

  let file = exe;
  let args = app.exec.slice(1);
  let argv0: string | undefined = app.exec[0];
  const options: Parameters<typeof spawn>[2] = {
    cwd,
    env,
    detached: true,
    // rkt's io modes: only "stream" keeps stdin open; "null" discards an output stream.
    stdio: [
      app.stdin === "stream" ? "pipe" : "ignore",
      app.stdout === "null" ? "ignore" : "pipe",
      app.stderr === "null" ? "ignore" : "pipe",
    ],
  };
  if (creds && (creds.uid !== 0 || creds.gid !== 0 || creds.groups.length > 0)) {
    const sp = setpriv();
    if (sp) {
      // Node cannot set supplementary groups; setpriv does, right before exec'ing the app.
      const groups = creds.groups.length > 0 ? `--groups=${creds.groups.join(",")}` : "--clear-groups";
      args = [`--reuid=${creds.uid}`, `--regid=${creds.gid}`, groups, "--", exe, ...args];
      file = sp;
      argv0 = undefined;
    } else {
      options.uid = creds.uid;
      options.gid = creds.gid;
    }
  }
  if (cgroup && cgroup.procs.length > 0) {
    // $0 = how many cgroup.procs files follow; each one is written, silently, before the exec.
    const script = 'n=$0; while [ "$n" -gt 0 ]; do { echo $$ > "$1"; } 2>/dev/null; shift; n=$((n - 1)); done; exec "$@"';
    args = ["-c", script, String(cgroup.procs.length), ...cgroup.procs, file, ...args];
    file = "/bin/sh";
    argv0 = undefined;
  }
  if (argv0 !== undefined) options.argv0 = argv0;

  let child: ChildProcess;
  try {
    child = spawn(file, args, options);
  } catch {
    return failed(203);
  }
  const pid = child.pid;
  if (pid === undefined) {
    child.on("error", () => {});
    return failed(203);
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const split = lineSplitter((line) => hooks.sink.line(stream, line));
    child[stream]?.on("data", (chunk: Buffer) => {
      split(chunk);
      hooks.raw?.(stream, chunk);
    });
  }
  child.stdin?.on("error", () => {});
  const done = new Promise<AppExit>((resolve) => {
    let exit: AppExit | undefined;
    let closed = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (): void => {
      if (settled || !exit) return;
      settled = true;
      if (timer) clearTimeout(timer);
      hooks.sink.close();
      resolve(exit);
    };
    child.on("exit", (code, signal) => {
      exit = { code: code ?? signalNumber(signal), finishedAt: nowNs() };
      // Like systemd after a service's main process exits: nothing of the app may outlive it.
      killGroup(pid, "SIGKILL");
      if (closed) settle();
      // Output still in the pipes is logged; stragglers holding them are dead, so this is only a backstop.
      else timer = setTimeout(settle, 2000);
    });
    child.on("close", () => {
      closed = true;
      settle();
    });
    child.on("error", () => {
      if (!exit) exit = failed(203);
    });
  });
  return { pid, pidStart: procStartTime(pid), stdin: child.stdin ?? null, done };
}
