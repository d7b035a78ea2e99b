import { type ChildProcess, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { ErrorKind, type Logger, RktletError, silentLogger } from "@rktlet/core";
import { killProcessGroup } from "@rktlet/node-support";
import execa from "execa";
import type { RktConfig } from "../config";

/** The environment every rkt call gets: without these, `rkt app` and stream-mode apps do not exist. */
export const RKT_ENV = { RKT_EXPERIMENT_APP: "true", RKT_EXPERIMENT_ATTACH: "true" } as const;

export interface RktResult {
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
  /** Set when rkt could not be started at all (missing binary, permissions). */
  readonly spawnError?: string;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  /** Extra global flags for this call only, e.g. `--user-config` for a pull with credentials. */
  readonly extraGlobalFlags?: readonly string[];
  readonly insecureOptions?: readonly string[];
}

/** Command lines as logged: environment values (often from Secrets) are left out. */
export function loggableArgv(argv: readonly string[]): string[] {
  return argv.map((a) => (a.startsWith("--environment=") ? a.replace(/^(--environment=[^=]*=).*$/s, "$1[redacted]") : a));
}

/** Counts of rkt processes started, by subcommand: what benchmarks and tests read to prove hot paths spawn nothing. */
export class SpawnCounter {
  private readonly counts = new Map<string, number>();
  record(sub: string): void {
    this.counts.set(sub, (this.counts.get(sub) ?? 0) + 1);
  }
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** One finished rkt process, as an observer (metrics) sees it. */
export interface RktCommandObservation {
  /** The first subcommand word: `app`, `image`, `list`, `status`… */
  readonly subcommand: string;
  /** From start to exit. For interactive sessions this is the session's length. */
  readonly ms: number;
  /** The exit status; -1 when rkt could not be started or was killed by a signal. */
  readonly exitCode: number;
  /** Killed by the runner's own timeout. */
  readonly timedOut: boolean;
}

export type RktCommandObserver = (observation: RktCommandObservation) => void;

/**
 * Runs rkt. The global flags go right after the FIRST subcommand word (`rkt app --dir=… sandbox …`), as
 * rkt's persistent flags allow; every call has an argv array (never a shell), the experiment environment,
 * a timeout that kills the whole process group, and stdout and stderr read separately.
 */
export class RktRunner {
  readonly spawns = new SpawnCounter();
  /** Told about every rkt process when it exits (run, spawnStreaming and spawnInteractive alike); optional. */
  onCommand: RktCommandObserver | undefined;

  constructor(
    private readonly config: Pick<RktConfig, "rktPath" | "dataDir" | "insecureOptions" | "commandTimeoutMs">,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** `rkt <sub> <global flags> <args…>` as an argv array, argv[0] included. */
  argv(sub: string, args: readonly string[], options: RunOptions = {}): string[] {
    const insecure = options.insecureOptions ?? this.config.insecureOptions;
    const globals = ["--debug=false", `--dir=${this.config.dataDir}`];
    if (insecure.length > 0) globals.push(`--insecure-options=${insecure.join(",")}`);
    return [this.config.rktPath, sub, ...globals, ...(options.extraGlobalFlags ?? []), ...args];
  }

  async run(sub: string, args: readonly string[], options: RunOptions = {}): Promise<RktResult> {
    const argv = this.argv(sub, args, options);
    this.logger.debug({ argv: loggableArgv(argv) }, "rkt");
    this.spawns.record(sub);
    const started = process.hrtime.bigint();
    const child = execa(argv[0] as string, argv.slice(1), {
      env: RKT_ENV,
      extendEnv: true,
      reject: false,
      stdin: "ignore",
      stripFinalNewline: false,
      detached: true, // its own process group, so a timeout can take down everything it started
      maxBuffer: 64 * 1024 * 1024,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killProcessGroup(child.pid, "SIGKILL");
    }, options.timeoutMs ?? this.config.commandTimeoutMs);
    try {
      // a spawn the OS refuses at once (E2BIG, ENOMEM) rejects even with reject:false
      const r: SpawnOutcome = await child.catch((err: Error) => spawnFailure(err));
      const result: RktResult = {
        argv,
        exitCode: typeof r.exitCode === "number" ? r.exitCode : -1,
        stdout: r.stdout ?? "",
        stderr: r.stderr ?? "",
        timedOut,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        ...(r.failed && typeof r.exitCode !== "number" && !timedOut ? { spawnError: spawnReason(r) } : {}),
      };
      if (result.exitCode !== 0)
        this.logger.debug(
          { argv: loggableArgv(argv), exitCode: result.exitCode, stderr: result.stderr.slice(-2000), timedOut },
          "rkt failed",
        );
      this.observe(sub, result.ms, result.exitCode, timedOut);
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts rkt with its streams left to the caller (exec), in its own process group. The caller must
   * consume stdout and stderr and await `exited`.
   */
  spawnStreaming(
    sub: string,
    args: readonly string[],
  ): { pid: number | undefined; stdout: Readable; stderr: Readable; exited: Promise<number> } {
    const argv = this.argv(sub, args);
    this.logger.debug({ argv: loggableArgv(argv) }, "rkt");
    this.spawns.record(sub);
    const started = process.hrtime.bigint();
    const child = execa(argv[0] as string, argv.slice(1), {
      env: RKT_ENV,
      extendEnv: true,
      reject: false,
      stdin: "ignore",
      buffer: false,
      detached: true,
    });
    if (child.pid === undefined || !child.stdout || !child.stderr) {
      // spawn failed at once (no binary, argument list too long): execa reports why only later
      child.then(
        (r) => this.logger.warn({ rkt: argv[0], sub, err: spawnReason(r) }, "rkt could not be started"),
        (err: Error) => this.logger.warn({ rkt: argv[0], sub, err: spawnReason(err) }, "rkt could not be started"),
      );
      throw new RktletError(ErrorKind.Unavailable, `could not start rkt (${sub}); see the daemon's log`);
    }
    const exited = child.then((r) => {
      const code = typeof r.exitCode === "number" ? r.exitCode : -1;
      this.observe(sub, msSince(started), code, false);
      return code;
    });
    return { pid: child.pid, stdout: child.stdout as Readable, stderr: child.stderr as Readable, exited };
  }

  /**
   * Starts rkt for an interactive session (streaming exec): every stdio a pipe, in its own process group,
   * optionally under a wrapper (the pty helper). `extraPipes` adds pipes from fd 3 on. No timeout: the
   * session ends it.
   */
  spawnInteractive(sub: string, args: readonly string[], options: { wrapper?: readonly string[]; extraPipes?: number } = {}): ChildProcess {
    const argv = [...(options.wrapper ?? []), ...this.argv(sub, args)];
    this.logger.debug({ argv: loggableArgv(argv) }, "rkt (interactive)");
    this.spawns.record(sub);
    const started = process.hrtime.bigint();
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: { ...process.env, ...RKT_ENV },
      stdio: ["pipe", "pipe", "pipe", ...Array.from({ length: options.extraPipes ?? 0 }, () => "pipe" as const)],
      detached: true,
    });
    child.once("exit", (code) => this.observe(sub, msSince(started), typeof code === "number" && code >= 0 ? code : -1, false));
    return child;
  }

  private observe(subcommand: string, ms: number, exitCode: number, timedOut: boolean): void {
    const observer = this.onCommand;
    if (!observer) return;
    try {
      observer({ subcommand, ms, exitCode, timedOut });
    } catch (err) {
      this.logger.debug({ err }, "rkt command observer failed");
    }
  }
}

/**
 * Why a spawn failed, without the command line: execa's messages repeat the whole argv, and rkt's
 * carries environment values (`app add --environment=…`), which must not reach a log or a client.
 */
function spawnReason(r: unknown): string {
  const { code, errno, syscall } = r as { code?: string; errno?: number; syscall?: string };
  if (code) return `${syscall ?? "spawn"} ${code}`;
  return errno !== undefined ? `spawn errno ${errno}` : "could not start rkt";
}

/** What `run` needs of an execa result, which a spawn refused at once also yields (see spawnFailure). */
interface SpawnOutcome {
  readonly exitCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly failed?: boolean;
}

/** A rejected execa promise as a failed outcome, keeping only the error's code. */
function spawnFailure(err: Error): SpawnOutcome {
  const { code, errno, syscall } = err as { code?: string; errno?: number; syscall?: string };
  return Object.assign({ failed: true }, code ? { code } : {}, errno !== undefined ? { errno } : {}, syscall ? { syscall } : {});
}

function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
