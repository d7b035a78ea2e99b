import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import { constants } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import {
  ErrorKind,
  failedPrecondition,
  type InteractiveOptions,
  type InteractiveProcess,
  invalidArgument,
  notFound,
  RktletError,
  type StreamRuntime,
  type TerminalSize,
} from "@rktlet/core";
import { killProcessGroup } from "@rktlet/node-support";
import { podPid } from "../app-processes";
import { POD_UUID, parseContainerId } from "../commands/names";
import type { RktContext } from "../context";
import { ptyWrapper } from "./pty";
import { connectUnix } from "./unix-connect";

/** After the exec'd command exits, how long its output may take to end (a background child can hold it open). */
const DRAIN_MS = 1000;
const APP_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** How long the pty program has to take its command down before its own group gets SIGKILL. */
const KILL_GRACE_MS = 2000;

/** The compiled dialer: next to this file in dist, or in dist when running from sources (tests). */
function dialScript(): string {
  const here = join(__dirname, "netns-dial.js");
  return existsSync(here) ? here : join(__dirname, "..", "..", "dist", "streams", "netns-dial.js");
}

/**
 * exec, attach and port-forward for the streaming server, on rkt:
 * - exec runs `rkt app exec` with pipes, or under a pseudo-terminal (see ./pty) when a tty is asked for;
 * - attach connects to the app's iottymux sockets (apps are added in stream mode);
 * - port-forward connects from inside the pod's network namespace (nsenter into rkt's pod pid).
 */
export class RktStreamRuntime implements StreamRuntime {
  constructor(
    private readonly ctx: RktContext,
    private readonly python = "python3",
  ) {}

  async exec(containerId: string, cmd: readonly string[], options: InteractiveOptions): Promise<InteractiveProcess> {
    const { podUuid, app } = this.split(containerId);
    if (cmd.length === 0) throw invalidArgument("cmd", "must name a command");
    if (cmd[0]?.startsWith("-")) throw invalidArgument("cmd[0]", "must be a command, not an option");
    const child = this.ctx.runner.spawnInteractive(
      "app",
      ["exec", `--app=${app}`, podUuid, ...cmd],
      options.tty ? { wrapper: ptyWrapper(this.python), extraPipes: 1 } : {},
    );
    await started(child, options.tty ? `a terminal needs ${this.python} on the host` : "rkt could not be started");
    const [stdin, stdout, stderr] = [child.stdin, child.stdout, child.stderr];
    if (!stdin || !stdout || !stderr) throw new RktletError(ErrorKind.Internal, "exec: missing pipes");
    stdin.on("error", () => {});
    if (!options.stdin) stdin.end();
    // Output nobody asked for is still read, so the command never blocks on a full pipe.
    if (!options.stdout) stdout.resume();
    if (!options.stderr || options.tty) stderr.resume();
    const control = options.tty ? (child.stdio[3] as NodeJS.WritableStream | null) : null;
    control?.on("error", () => {});
    this.ctx.logger.debug({ containerId, tty: options.tty }, "exec session started");
    return {
      stdin: options.stdin ? stdin : undefined,
      stdout: options.stdout ? stdout : undefined,
      stderr: options.stderr && !options.tty ? stderr : undefined,
      resize: (size: TerminalSize) => {
        control?.write(`${JSON.stringify({ width: size.width, height: size.height })}\n`);
      },
      exited: exitStatus(child),
      kill: () => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        const pid = child.pid;
        // a terminal's command runs in a session of its own: the pty program takes it down on SIGTERM
        if (options.tty) {
          killProcessGroup(pid, "SIGTERM");
          setTimeout(() => killProcessGroup(pid, "SIGKILL"), KILL_GRACE_MS).unref();
        } else {
          killProcessGroup(pid, "SIGKILL");
        }
      },
    };
  }

  async attach(containerId: string, options: InteractiveOptions): Promise<InteractiveProcess> {
    const { podUuid, app } = this.split(containerId);
    const dir = join(this.ctx.config.dataDir, "pods", "run", podUuid, "stage1", "rootfs", "rkt", "iottymux", app);
    const want = (["stdin", "stdout", "stderr"] as const).filter((s) => options[s] && !(s === "stderr" && options.tty));
    const sockets = new Map<string, Socket>();
    try {
      for (const s of want) sockets.set(s, await connectUnix(join(dir, `sock-${s}`)));
    } catch (err) {
      for (const socket of sockets.values()) socket.destroy();
      const missing = want.find((x) => !sockets.has(x));
      // the app serves its output but no stdin: it was added without --stdin=stream
      if (missing === "stdin" && (err as NodeJS.ErrnoException).code === "ENOENT" && existsSync(join(dir, "sock-stdout"))) {
        throw failedPrecondition(
          `container ${containerId} was created without stdin, so its stdin cannot be attached; attach without stdin`,
        );
      }
      throw failedPrecondition(
        `container ${containerId} cannot be attached to: its ${want.find((s) => !sockets.has(s))} is not served (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is it running?`,
      );
    }
    for (const socket of sockets.values()) socket.on("error", () => {});
    const stdin = sockets.get("stdin");
    // The attachment lasts while the container's output does (or until the session ends it).
    stdin?.resume();
    const outputs = [sockets.get("stdout"), sockets.get("stderr")].filter((s) => s !== undefined);
    let kill!: () => void;
    const killed = new Promise<void>((resolve) => {
      kill = () => {
        for (const socket of sockets.values()) socket.destroy();
        resolve();
      };
    });
    const outputEnded =
      outputs.length > 0 ? Promise.all(outputs.map((s) => new Promise((r) => s.once("close", r)))) : new Promise(() => {});
    if (options.tty) this.ctx.logger.debug({ containerId }, "attach with a terminal: rkt apps run in stream mode, resizes are ignored");
    return {
      stdin,
      stdout: sockets.get("stdout"),
      stderr: sockets.get("stderr"),
      resize: () => {},
      exited: Promise.race([outputEnded, killed]).then(() => 0),
      kill,
    };
  }

  async portForward(podSandboxId: string, port: number): Promise<NodeJS.ReadWriteStream & { destroy(error?: Error): void }> {
    if (!POD_UUID.test(podSandboxId)) throw notFound("pod sandbox", podSandboxId);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidArgument("port", "must be a port number from 1 to 65535");
    const pid = await podPid(this.ctx.config.dataDir, podSandboxId);
    if (pid === undefined) throw failedPrecondition(`pod sandbox ${podSandboxId} is not running`);
    this.ctx.runner.spawns.record("nsenter");
    const child = spawn("nsenter", [`--net=/proc/${pid}/ns/net`, "--", process.execPath, dialScript(), String(port)], {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    await started(child, "nsenter could not be started");
    const outcome = await firstLine(child.stdio[3] as NodeJS.ReadableStream, child);
    if (outcome !== "ok") {
      child.kill("SIGKILL");
      throw new RktletError(ErrorKind.Unavailable, `error forwarding port ${port} to pod ${podSandboxId}: ${outcome}`);
    }
    return childDuplex(child);
  }

  private split(id: string): { podUuid: string; app: string } {
    const parts = parseContainerId(id);
    if (!parts || !POD_UUID.test(parts.podUuid) || !APP_NAME.test(parts.app)) throw notFound("container", id);
    return parts;
  }
}

/** Resolves once the process is running; a process that cannot be started becomes an Unavailable error. */
function started(child: ChildProcess, why: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (err) => reject(new RktletError(ErrorKind.Unavailable, `${why}: ${err.message}`)));
  });
}

function exitStatus(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const code = () => child.exitCode ?? 128 + signalNumber(child.signalCode);
    child.once("close", () => resolve(code()));
    child.once("exit", () => {
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve(code());
      }, DRAIN_MS).unref();
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? constants.signals[signal] : 0;
}

function firstLine(stream: NodeJS.ReadableStream, child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let buf = "";
    stream.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      const i = buf.indexOf("\n");
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.once("exit", (code) => resolve(buf.trim() || `the dialer exited with status ${code}`));
  });
}

/** The dialer's stdin and stdout as one Duplex; destroying it ends the dialer. */
function childDuplex(child: ChildProcess): Duplex {
  const input = child.stdin as NodeJS.WritableStream & { on: (e: string, f: () => void) => void };
  const output = child.stdout as NodeJS.ReadableStream & { pause(): void; resume(): void };
  input.on("error", () => {});
  const duplex = new Duplex({
    write(chunk, _enc, cb) {
      input.write(chunk, (err) => cb(err ?? null));
    },
    final(cb) {
      input.end(() => cb());
    },
    read() {
      output.resume();
    },
    destroy(err, cb) {
      if (child.exitCode === null) child.kill("SIGKILL");
      cb(err);
    },
  });
  output.on("data", (d: Buffer) => {
    if (!duplex.push(d)) output.pause();
  });
  output.on("end", () => duplex.push(null));
  child.once("exit", () => {
    if (!duplex.writableEnded) duplex.end();
  });
  return duplex;
}
