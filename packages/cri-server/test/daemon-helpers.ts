import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as loader from "@grpc/proto-loader";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { rktSimPath } from "@rktlet/testkit";

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

/**
 * A daemon on the rkt simulator for one test file: started before its tests in a fresh directory, with
 * reference-proto clients; afterwards stopped, the pods it left (they outlive it by design) taken down,
 * and the directory removed.
 */
export function useRktDaemon(prefix: string, extraFlags: readonly string[] = []) {
  const state = { dir: "", daemon: undefined as Daemon | undefined, clients: undefined as ReturnType<typeof referenceClients> | undefined };
  beforeAll(async () => {
    state.dir = mkdtempSync(join(tmpdir(), prefix));
    state.daemon = startDaemon([...rktDaemonFlags(state.dir, rktSimPath()), "--log-level=info", ...extraFlags]);
    await waitForStart(state.daemon, 20_000);
    state.clients = referenceClients(join(state.dir, "cri.sock"));
  }, 30_000);
  afterAll(async () => {
    state.clients?.close();
    if (state.daemon) await stopDaemon(state.daemon);
    const units = new ProcessUnitManager({ stateDir: join(state.dir, "s", "units") });
    for (const u of await units.list()) await units.stop(u.name, 3000);
    rmSync(state.dir, { recursive: true, force: true });
  }, 30_000);
  return {
    dir: () => state.dir,
    daemon: () => state.daemon as Daemon,
    clients: () => state.clients as ReturnType<typeof referenceClients>,
  };
}

/** A pod config for the reference-proto clients, logging under `dir`. */
export function podConfig(dir: string, name: string, extra: Record<string, unknown> = {}) {
  return { metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 }, log_directory: join(dir, "logs", name), ...extra };
}

/** The daemon's JSON start-up line ("rktlet started": socket, stream server, metrics, config…). */
export function startedLine(d: Daemon): Record<string, unknown> {
  const line = d
    .output()
    .split("\n")
    .find((l) => l.includes('"rktlet started"'));
  if (!line) throw new Error(`no start-up line in: ${d.output()}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** The metrics URL a daemon started with --metrics-address logged in its start-up line. */
export function metricsUrl(d: Daemon): string {
  const url = startedLine(d).metrics;
  if (typeof url !== "string") throw new Error(`no metrics URL in the start-up line: ${JSON.stringify(startedLine(d))}`);
  return url;
}
