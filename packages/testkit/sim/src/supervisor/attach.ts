/**
 * iottymux's attach endpoints for stream-mode apps, at rkt's place in the pod directory:
 * stage1/rootfs/rkt/iottymux/<app>/{endpoints,env,sock-stdin,sock-stdout,sock-stderr}. The sockets carry
 * raw bytes with no framing; output written before a client connects is not replayed.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { Writable } from "node:stream";
import { iottymuxRel } from "../store/paths";
import type { AppRecord, PodRecord } from "../store/pods";
import { toGoJson } from "../util/json";

type Stream = "stdin" | "stdout" | "stderr";
const STREAMS: readonly Stream[] = ["stdin", "stdout", "stderr"];

export function streamModes(app: AppRecord): Stream[] {
  return STREAMS.filter((s) => app[s] === "stream");
}

export function endpointsJson(app: AppRecord): { version: number; targets: { name: string; domain: string; address: string }[] } {
  return {
    version: 1,
    targets: streamModes(app).map((s) => ({ name: s, domain: "unix", address: `/rkt/iottymux/${app.name}/sock-${s}` })),
  };
}

interface Live {
  readonly servers: net.Server[];
  readonly clients: Set<net.Socket>;
  readonly out: Record<"stdout" | "stderr", Set<net.Socket>>;
}

export class AttachEndpoints {
  private readonly live = new Map<string, Live>();

  /** Writes the endpoints and env files when the app has any stream-mode stdio. */
  create(pod: PodRecord, app: AppRecord): void {
    if (streamModes(app).length === 0) return;
    const dir = iottymuxRel(app.name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "endpoints"), `${toGoJson(endpointsJson(app))}\n`);
    const env = [
      "STAGE2_TTY=false",
      `STAGE1_DEBUG=${pod.debug}`,
      `STAGE2_STDIN=${app.stdin === "stream"}`,
      `STAGE2_STDOUT=${app.stdout === "stream"}`,
      `STAGE2_STDERR=${app.stderr === "stream"}`,
    ];
    const mode = pod.annotations["coreos.com/rkt/experiment/logmode"];
    if (mode) env.push(`STAGE1_LOGMODE=${mode}`);
    const logPath = app.annotations["coreos.com/rkt/experiment/kubernetes-log-path"];
    if (logPath) env.push(`KUBERNETES_LOG_PATH=${logPath}`);
    fs.writeFileSync(path.join(dir, "env"), `${env.join("\n")}\n`);
  }

  /** Opens the sockets for a started app. */
  started(app: AppRecord, stdin: Writable | null): void {
    this.stopped(app.name);
    const modes = streamModes(app);
    if (modes.length === 0) return;
    const live: Live = { servers: [], clients: new Set(), out: { stdout: new Set(), stderr: new Set() } };
    const dir = iottymuxRel(app.name);
    fs.mkdirSync(dir, { recursive: true });
    for (const s of modes) {
      const sockPath = path.join(dir, `sock-${s}`);
      fs.rmSync(sockPath, { force: true });
      const server = net.createServer((c) => {
        live.clients.add(c);
        c.on("error", () => {});
        c.on("close", () => {
          live.clients.delete(c);
          if (s !== "stdin") live.out[s].delete(c);
        });
        // Closing a stdin client does not close the app's stdin (as observed with iottymux).
        if (s === "stdin") c.on("data", (d: Buffer) => stdin?.write(d));
        else live.out[s].add(c);
      });
      server.on("error", () => {});
      server.listen(sockPath);
      live.servers.push(server);
    }
    this.live.set(app.name, live);
  }

  output(name: string, stream: "stdout" | "stderr", chunk: Buffer): void {
    for (const c of this.live.get(name)?.out[stream] ?? []) c.write(chunk);
  }

  /** Closes the sockets of an app that exited; attached clients see EOF. */
  stopped(name: string): void {
    const live = this.live.get(name);
    if (!live) return;
    this.live.delete(name);
    for (const server of live.servers) server.close();
    for (const c of live.clients) c.end();
    for (const s of STREAMS) fs.rmSync(path.join(iottymuxRel(name), `sock-${s}`), { force: true });
  }

  remove(name: string): void {
    this.stopped(name);
    fs.rmSync(iottymuxRel(name), { recursive: true, force: true });
  }

  closeAll(): void {
    for (const name of [...this.live.keys()]) this.stopped(name);
  }
}
