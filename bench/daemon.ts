/**
 * The daemon under test: the built `rktlet` binary as a process of its own, on the rkt backend over the
 * rkt simulator, with metrics on a loopback port. Reads its RSS from /proc and its rkt counters from
 * `/metrics`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, get } from "node:http";
import { join } from "node:path";
import { parseRktTally, type RktTally, sampleValue } from "./metrics";

/** /proc/PID/stat counts CPU time in clock ticks: USER_HZ, 100 on Linux. */
const TICKS_PER_SECOND = 100;

export const DAEMON_BIN = join(__dirname, "..", "..", "packages", "cri-server", "dist", "bin", "rktlet.js");

/** Every path the daemon and its pods use, under one temporary directory. */
export interface BenchDirs {
  readonly root: string;
  readonly dataDir: string;
  readonly stateDir: string;
  readonly logRoot: string;
  readonly socket: string;
}

export function benchDirs(root: string): BenchDirs {
  return {
    root,
    dataDir: join(root, "d"),
    stateDir: join(root, "s"),
    logRoot: join(root, "logs"),
    socket: join(root, "cri.sock"),
  };
}

export interface Memory {
  /** VmRSS: resident now. */
  readonly rssMiB: number;
  /** VmHWM: the highest RSS so far. */
  readonly peakMiB: number;
}

export class Daemon {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  private constructor(
    private readonly proc: ChildProcess,
    readonly metricsUrl: string,
    private readonly output: () => string,
    private readonly exited: Promise<void>,
  ) {}

  static async start(dirs: BenchDirs, rktPath: string): Promise<Daemon> {
    const flags = [
      "--backend=rkt",
      `--rkt-path=${rktPath}`,
      `--rkt-data-dir=${dirs.dataDir}`,
      `--state-dir=${dirs.stateDir}`,
      "--rkt-shared-mount=false",
      "--unit-manager=process",
      `--pod-log-root=${dirs.logRoot}`,
      `--listen=${dirs.socket}`,
      "--stream-server-address=127.0.0.1:0",
      "--metrics-address=127.0.0.1:0",
      "--log-level=info",
    ];
    // its own process group: a Ctrl-C reaches only the bench, which then removes the pods while the daemon still serves
    const proc = spawn(process.execPath, [DAEMON_BIN, ...flags], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    let tail = "";
    let started: string | undefined;
    const take = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-64 * 1024);
      started ??= tail.split("\n").find((l) => l.includes('"rktlet started"'));
    };
    proc.stdout?.on("data", take);
    proc.stderr?.on("data", take);
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    const deadline = Date.now() + 30_000;
    while (!started) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`rktlet exited at start-up:\n${tail}`);
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new Error(`rktlet did not start within 30 s:\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const url = (JSON.parse(started) as { metrics?: string }).metrics;
    if (!url) throw new Error(`no metrics URL in the start-up line: ${started}`);
    return new Daemon(proc, url, () => tail, exited);
  }

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The last 64 KiB the daemon wrote, for error messages. */
  logTail(): string {
    return this.output();
  }

  memory(): Memory {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    const mib = (k: number) => Math.round((k / 1024) * 10) / 10;
    return { rssMiB: mib(kib("VmRSS")), peakMiB: mib(kib("VmHWM")) };
  }

  /** CPU time the daemon process has used (user + system), in ms. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
    // fields after the parenthesised command name: state is field 3, utime 14, stime 15
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  }

  /** The V8 heap in use, from the daemon's own metrics. */
  async heapUsedMiB(): Promise<number> {
    const bytes = sampleValue(await this.scrape(), "nodejs_heap_size_used_bytes") ?? Number.NaN;
    return Math.round((bytes / 2 ** 20) * 10) / 10;
  }

  async scrape(): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = get(this.metricsUrl, { agent: this.agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`metrics: HTTP ${res.statusCode}`))));
        res.on("error", reject);
      });
      req.on("error", reject);
    });
  }

  /**
   * The rkt counters as of now. A scrape reads the pod and container gauges, which may refresh a stale
   * snapshot (one `rkt list`) after the counters were read; a second scrape sees that refresh and leaves
   * a fresh snapshot behind, so what follows starts from a known state.
   */
  async settledRktTally(): Promise<RktTally> {
    await this.scrape();
    return parseRktTally(await this.scrape());
  }

  async rktTally(): Promise<RktTally> {
    return parseRktTally(await this.scrape());
  }

  /** SIGTERM (the daemon lets in-flight calls finish and removes its socket); SIGKILL after 15 s. */
  async stop(): Promise<void> {
    this.agent.destroy();
    if (!this.running) return;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
