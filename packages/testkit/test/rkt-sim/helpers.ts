/** Shared helpers for the rkt simulator tests: run the built binary, manage sandboxes, load fixtures. */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const SIM = resolve(__dirname, "..", "..", "sim", "dist", "bin", "rkt-sim.js");

/** Fails the suite at once, with the fix, when the simulator has not been built. */
function assertBuilt(): void {
  const fix = "build it: npx tsc -b packages/testkit/sim && chmod +x packages/testkit/sim/dist/bin/rkt-sim.js";
  if (!existsSync(SIM)) throw new Error(`${SIM} is missing; ${fix}`);
  if ((statSync(SIM).mode & 0o111) === 0) throw new Error(`${SIM} is not executable; ${fix}`);
}
assertBuilt();

/** The recorded real rkt 1.30 invocations (../shared/reference/fixtures/rkt beside the repository). */
export const FIXTURES = process.env.RKT_FIXTURES ?? join(__dirname, "..", "..", "..", "..", "..", "shared", "reference", "fixtures", "rkt");

export interface Fixture {
  readonly name: string;
  /** argv without argv[0] ("rkt"). */
  readonly args: string[];
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  file(name: string): string;
}

export function fixture(name: string): Fixture {
  const dir = join(FIXTURES, name);
  if (!existsSync(dir)) throw new Error(`fixture ${name} not found under ${FIXTURES}`);
  const read = (f: string): string => readFileSync(join(dir, f), "utf8");
  const optional = (f: string): string => (existsSync(join(dir, f)) ? read(f) : "");
  const argv = existsSync(join(dir, "argv.json")) ? (JSON.parse(read("argv.json")) as string[]) : ["rkt"];
  return {
    name,
    args: argv.slice(1),
    rc: Number.parseInt(optional("rc").trim() || "-1", 10),
    stdout: optional("stdout"),
    stderr: optional("stderr"),
    file: read,
  };
}

export interface RunResult {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
}

/** Runs the simulator binary (through its shebang) and collects its output. */
export function runSim(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(SIM, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolvePromise({ rc: code ?? 128 + (signal ? 1 : 0), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(opts.input ?? "");
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined), or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export interface Sandbox {
  readonly uuid: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
  stdout(): string;
}

/** A temporary rkt data dir with helpers to drive the simulator against it; `cleanup()` stops everything. */
export class SimEnv {
  readonly root: string;
  readonly dir: string;
  readonly logDir: string;
  readonly tmp: string;
  readonly hostVol: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly sandboxes: Sandbox[] = [];

  constructor(extraEnv: NodeJS.ProcessEnv = {}) {
    this.root = mkdtempSync(join(tmpdir(), "rkt-sim-"));
    // Apps may run as another uid (--user); let them reach volumes under the temp dir.
    chmodSync(this.root, 0o755);
    this.dir = join(this.root, "d");
    this.logDir = join(this.root, "logs");
    this.tmp = join(this.root, "tmp");
    this.hostVol = join(this.root, "hostvol");
    for (const d of [this.dir, this.logDir, this.tmp]) mkdirSync(d);
    mkdirSync(this.hostVol, { mode: 0o777 });
    chmodSync(this.hostVol, 0o777);
    this.env = {
      PATH: process.env.PATH,
      RKT_EXPERIMENT_APP: "true",
      RKT_EXPERIMENT_ATTACH: "true",
      RKT_SIM_READY_DELAY_MS: "50",
      ...extraEnv,
    };
  }

  get globals(): string[] {
    return ["--debug=false", `--dir=${this.dir}`, "--insecure-options=image,ondisk"];
  }

  /** `rkt <first> G <rest…>` as rktlet builds it. */
  rkt(first: string, ...rest: string[]): Promise<RunResult> {
    return runSim([first, ...this.globals, ...rest], { env: this.env });
  }

  run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return runSim(args, { env: opts.env ?? this.env, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  }

  /** Starts `rkt app G sandbox …` in the background and waits for its uuid file. */
  async sandbox(extra: readonly string[] = [], opts: { args?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Sandbox> {
    const uuidFile = join(this.tmp, `sb-${this.sandboxes.length}.uuid`);
    const args = opts.args ?? ["app", ...this.globals, "sandbox", `--uuid-file-save=${uuidFile}`, ...extra];
    const child = spawn(SIM, args, { env: opts.env ?? this.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (d: Buffer) => out.push(d));
    child.stderr?.on("data", (d: Buffer) => err.push(d));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const uuidPath = args.find((a) => a.startsWith("--uuid-file-save="))?.slice("--uuid-file-save=".length) ?? uuidFile;
    const sb: Sandbox = {
      uuid: "",
      child,
      exited,
      stderr: () => Buffer.concat(err).toString(),
      stdout: () => Buffer.concat(out).toString(),
    };
    this.sandboxes.push(sb);
    let died = false;
    void exited.then(() => {
      died = true;
    });
    const uuid = await waitFor("the uuid file", () => {
      if (existsSync(uuidPath)) return readFileSync(uuidPath, "utf8");
      if (died) throw new Error(`sandbox exited early: ${sb.stderr()}`);
      return undefined;
    });
    Object.assign(sb, { uuid });
    return sb;
  }

  /** A started sandbox that is ready (status --wait-ready succeeded). */
  async readySandbox(extra: readonly string[] = []): Promise<Sandbox> {
    const sb = await this.sandbox(extra);
    const r = await this.rkt("status", sb.uuid, "--wait-ready=10s");
    if (r.rc !== 0) throw new Error(`pod not ready: ${r.stderr}`);
    return sb;
  }

  podRecord(uuid: string): { apps: { name: string; pid?: number }[] } | undefined {
    const f = join(this.dir, "pods", "run", uuid, "pod.json");
    return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as { apps: { name: string; pid?: number }[] }) : undefined;
  }

  /** Stops every sandbox this env started (force-stop, then SIGKILL), kills stray apps, deletes the temp dir. */
  async cleanup(): Promise<void> {
    const uuids = existsSync(join(this.dir, "pods", "run")) ? readdirSync(join(this.dir, "pods", "run")) : [];
    const appPids = uuids.flatMap((u) => this.podRecord(u)?.apps.flatMap((a) => (a.pid ? [a.pid] : [])) ?? []);
    for (const sb of this.sandboxes) {
      if (sb.child.exitCode !== null || sb.child.signalCode !== null) continue;
      if (sb.uuid) await this.rkt("stop", "--force=true", sb.uuid);
      const timer = setTimeout(() => sb.child.kill("SIGKILL"), 5000);
      await sb.exited;
      clearTimeout(timer);
    }
    for (const pid of appPids) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone, as it should be
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Replaces every occurrence of each key by its value. */
export function subst(text: string, map: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [from, to] of map) out = out.split(from).join(to);
  return out;
}

/** Zeroes JSON timestamps (seconds or nanoseconds) so outputs taken at different times compare equal. */
export function zeroTimes(text: string): string {
  return text.replace(/"(created_at|started_at|finished_at|import_time|last_used_time)":\d+/g, '"$1":0');
}

/** The key structure of a JSON value: objects keep their key order, leaves become their type. */
export function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

export function keysOf(v: unknown): string[] {
  return v !== null && typeof v === "object" ? Object.keys(v) : [];
}
