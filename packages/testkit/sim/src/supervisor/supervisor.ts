/**
 * The sandbox process acting as the pod's stage1 supervisor: it owns the pod record, runs the apps as its
 * children, and serves `app add/start/stop/rm` and `stop` requests on the pod's control socket.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import type { Request, Response } from "../ipc/protocol";
import { SOCKET_NAME } from "../store/paths";
import { type AppRecord, type PodRecord, writePod } from "../store/pods";
import { stderr } from "../util/out";
import { killGroup } from "../util/proc";
import { nowNs } from "../util/time";
import { type RunningApp, startAppProcess } from "./app-process";
import { AttachEndpoints } from "./attach";
import { appCgroup, joinCgroup, leavePodScope, removeAppCgroup } from "./cgroup";
import { consoleSink, type LineSink, openCriLog } from "./logs";
import { notifyReady } from "./notify";
import { Watchdog } from "./watchdog";

const LOG_MODE = "coreos.com/rkt/experiment/logmode";
const LOG_DIR = "coreos.com/rkt/experiment/kubernetes-log-dir";
const LOG_PATH = "coreos.com/rkt/experiment/kubernetes-log-path";

export interface SupervisorOptions {
  readonly readyDelayMs: number;
  readonly appStopTimeoutMs: number;
  readonly env: NodeJS.ProcessEnv;
  /** The pod scope cgroup the sandbox moved into, removed at exit. */
  readonly scope?: string;
}

export class Supervisor {
  private readonly running = new Map<string, RunningApp>();
  private readonly watchdog = new Watchdog();
  private readonly attach = new AttachEndpoints();
  private server: net.Server | undefined;
  private stopping: Promise<void> | undefined;
  private finished!: () => void;
  /** Resolves once the pod has exited and its record says so. */
  readonly done = new Promise<void>((resolve) => {
    this.finished = resolve;
  });

  constructor(
    private readonly dir: string,
    private readonly pod: PodRecord,
    private readonly opts: SupervisorOptions,
  ) {}

  /** Listens on ctl.sock in the current directory (the sandbox runs inside its pod directory). */
  listen(): Promise<void> {
    fs.rmSync(SOCKET_NAME, { force: true });
    const server = net.createServer((sock) => this.serve(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(SOCKET_NAME, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  /** Readiness after the configured delay, then READY=1 to $NOTIFY_SOCKET. */
  scheduleReady(): void {
    setTimeout(() => {
      if (this.stopping) return;
      this.pod.ready = true;
      this.pod.startedAt = nowNs().toString();
      this.save();
      void notifyReady(this.opts.env);
    }, this.opts.readyDelayMs);
  }

  private save(): void {
    writePod(this.dir, this.pod);
  }

  private serve(sock: net.Socket): void {
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("error", () => {});
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      let req: Request;
      try {
        req = JSON.parse(buf.slice(0, nl)) as Request;
      } catch {
        sock.end(`${JSON.stringify({ ok: false, error: "bad request" })}\n`);
        return;
      }
      buf = "";
      this.handle(req).then(
        (res) => sock.end(`${JSON.stringify(res)}\n`),
        (e: unknown) => sock.end(`${JSON.stringify({ ok: false, error: (e as Error).message })}\n`),
      );
    });
  }

  private async handle(req: Request): Promise<Response> {
    if (req.op === "stop-pod") {
      void this.stopPod(req.force);
      return { ok: true };
    }
    if (this.stopping) return { ok: false, error: `pod "${this.pod.uuid}" isn't currently running` };
    if (req.op === "add") return this.add(req.app);
    const app = this.pod.apps.find((a) => a.name === req.app);
    if (!app) return { ok: false, error: `error: nonexistent app ${JSON.stringify(req.app)}` };
    if (req.op === "start") this.start(app);
    else if (req.op === "stop") await this.stopApp(app, false);
    else {
      await this.stopApp(app, false);
      this.pod.apps = this.pod.apps.filter((a) => a !== app);
      if (!this.pod.removedApps.includes(app.name)) this.pod.removedApps.push(app.name);
      this.attach.remove(app.name);
      this.save();
    }
    return { ok: true };
  }

  private add(app: AppRecord): Response {
    if (this.pod.apps.some((a) => a.name === app.name)) return { ok: false, error: `error: multiple apps with name ${app.name}` };
    const rec: AppRecord = { ...app, state: "created", createdAt: nowNs().toString() };
    this.pod.apps.push(rec);
    this.pod.removedApps = this.pod.removedApps.filter((n) => n !== rec.name);
    this.attach.create(this.pod, rec);
    this.save();
    return { ok: true };
  }

  private sinkFor(app: AppRecord, pid: () => number): LineSink {
    const logDir = this.pod.annotations[LOG_DIR];
    const logPath = app.annotations[LOG_PATH];
    if (this.pod.annotations[LOG_MODE] === "k8s-plain" && logDir && logPath) {
      const sink = openCriLog(logDir, logPath);
      if (typeof sink !== "string") return sink;
      stderr.line(`iottymux: ${app.name}: cannot open log file: ${sink}`);
    }
    return consoleSink(app.name, pid);
  }

  private start(app: AppRecord): void {
    if (this.running.has(app.name)) return;
    let pid = 0;
    const sink = this.sinkFor(app, () => pid);
    const cgroup = appCgroup(app.name);
    const proc = startAppProcess(app, { sink, raw: (stream, chunk) => this.attach.output(app.name, stream, chunk) }, cgroup);
    app.startedAt = nowNs().toString();
    delete app.finishedAt;
    delete app.exitCode;
    if (!("pid" in proc)) {
      sink.close();
      if (cgroup) removeAppCgroup(cgroup);
      this.recordExit(app, proc.code, proc.finishedAt);
      return;
    }
    pid = proc.pid;
    // The wrapper already joined unless it ran as another user; joining again is harmless.
    if (cgroup) joinCgroup(cgroup, proc.pid);
    this.watchdog.add(proc.pid);
    this.running.set(app.name, proc);
    this.attach.started(app, proc.stdin);
    app.state = "running";
    app.pid = proc.pid;
    if (proc.pidStart !== undefined) app.pidStart = proc.pidStart;
    this.save();
    void proc.done.then((exit) => {
      this.running.delete(app.name);
      this.watchdog.del(proc.pid);
      this.attach.stopped(app.name);
      if (cgroup) removeAppCgroup(cgroup);
      this.recordExit(app, exit.code, exit.finishedAt);
    });
  }

  private recordExit(app: AppRecord, code: number, finishedAt: bigint): void {
    app.state = "exited";
    app.exitCode = code;
    app.finishedAt = finishedAt.toString();
    delete app.pid;
    delete app.pidStart;
    // (For an app being removed this object is about to leave the record; saving is still harmless.)
    this.save();
  }

  /** SIGTERM to the app's process group; SIGKILL when it outlives the stop timeout (or at once with force). */
  private async stopApp(app: AppRecord, force: boolean): Promise<void> {
    const proc = this.running.get(app.name);
    if (!proc) return;
    killGroup(proc.pid, force ? "SIGKILL" : "SIGTERM");
    const timer = setTimeout(() => killGroup(proc.pid, "SIGKILL"), this.opts.appStopTimeoutMs);
    try {
      await proc.done;
      // proc.done resolves before the exit is recorded; wait for that bookkeeping too.
      while (this.running.has(app.name)) await new Promise((r) => setImmediate(r));
    } finally {
      clearTimeout(timer);
    }
  }

  /** The apps' last processes may still be on their way out: retry briefly. */
  private async removeScope(scope: string): Promise<void> {
    for (let i = 0; i < 20; i++) {
      leavePodScope(scope);
      if (!fs.existsSync(scope)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops every app, marks the pod exited and closes the control socket. Idempotent. */
  stopPod(force: boolean): Promise<void> {
    if (this.stopping && force) {
      // `stop --force` during a graceful stop: do not wait for the apps' stop timeouts.
      for (const proc of this.running.values()) killGroup(proc.pid, "SIGKILL");
    }
    this.stopping ??= (async () => {
      await Promise.all(this.pod.apps.map((a) => this.stopApp(a, force)));
      this.pod.state = "exited";
      this.pod.exitedAt = nowNs().toString();
      this.save();
      this.attach.closeAll();
      this.watchdog.close();
      if (this.opts.scope) await this.removeScope(this.opts.scope);
      // Not awaited: a client that never sends a request must not keep the pod alive.
      this.server?.close();
      fs.rmSync(SOCKET_NAME, { force: true });
      this.finished();
    })();
    return this.stopping;
  }
}
