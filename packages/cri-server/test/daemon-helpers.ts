import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as loader from "@grpc/proto-loader";

/** Helpers for tests that run the built `rktlet` binary and talk to it with a reference-proto client. */
export const ROOT = join(__dirname, "..", "..", "..");
export const BIN = join(ROOT, "packages", "cri-server", "dist", "bin", "rktlet.js");
export const REFERENCE = process.env.CRI_REFERENCE_PROTO ?? join(ROOT, "..", "shared", "reference", "cri-api-v1.proto");

type Callback = (err: grpc.ServiceError | null, res: Record<string, unknown>) => void;
export type DynamicClient = grpc.Client & Record<string, (req: unknown, cb: Callback) => void>;

/** CRI clients built at run time from the reference proto alone: they know nothing of rktlet. */
export function referenceClients(socket: string): { runtime: DynamicClient; image: DynamicClient; close(): void } {
  if (!existsSync(REFERENCE)) throw new Error(`reference proto not found at ${REFERENCE}; set CRI_REFERENCE_PROTO`);
  const def = loader.loadSync(REFERENCE, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: Record<string, grpc.ServiceClientConstructor> } };
  const make = (name: string) =>
    new (pkg.runtime.v1[name] as grpc.ServiceClientConstructor)(`unix://${socket}`, grpc.credentials.createInsecure()) as DynamicClient;
  const runtime = make("RuntimeService");
  const image = make("ImageService");
  return {
    runtime,
    image,
    close() {
      runtime.close();
      image.close();
    },
  };
}

export function call(client: DynamicClient, method: string, req: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => client[method]?.(req, (err, res) => (err ? reject(err) : resolve(res))));
}

export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    return grpc.status[(err as grpc.ServiceError).code] as string;
  }
}

export interface Daemon {
  /** The daemon, or the wrapper that runs it (e.g. nsenter, which forks the daemon as its only child). */
  proc: ChildProcess;
  wrapped: boolean;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the built daemon; `wrapper` is an argv prefix such as `nsenter -t PID -a --` to run it elsewhere. */
export function startDaemon(args: string[], env: NodeJS.ProcessEnv = process.env, wrapper: readonly string[] = []): Daemon {
  const argv = [...wrapper, process.execPath, BIN, ...args];
  const proc = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, wrapped: wrapper.length > 0, output: () => out, exited };
}

export async function waitForStart(d: Daemon, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (d.output().includes("rktlet started")) return;
    if (d.proc.exitCode !== null) throw new Error(`daemon exited early: ${d.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`daemon did not start: ${d.output()}`);
}

export async function stopDaemon(d: Daemon, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (d.proc.exitCode === null && d.proc.signalCode === null) {
    const pid = d.wrapped ? wrappedPid(d) : undefined;
    if (pid) process.kill(pid, signal);
    else d.proc.kill(signal);
    await d.exited;
  }
}

/** The daemon's host pid under a wrapper: the wrapper's only child. */
function wrappedPid(d: Daemon): number | undefined {
  try {
    const children = readFileSync(`/proc/${d.proc.pid}/task/${d.proc.pid}/children`, "utf8").trim().split(/\s+/);
    return Number(children[0]) || undefined;
  } catch {
    return undefined;
  }
}

/** Flags for a daemon on the rkt backend over the simulator, everything under `dir`. */
export function rktDaemonFlags(dir: string, simPath: string): string[] {
  return [
    "--backend=rkt",
    `--rkt-path=${simPath}`,
    `--rkt-data-dir=${join(dir, "d")}`,
    `--state-dir=${join(dir, "s")}`,
    "--rkt-shared-mount=false",
    "--unit-manager=process",
    `--pod-log-root=${join(dir, "logs")}`,
    `--listen=${join(dir, "cri.sock")}`,
    "--stream-server-address=127.0.0.1:0",
  ];
}
