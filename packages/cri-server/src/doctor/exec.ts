import execa from "execa";

export interface CommandResult {
  /** -1 when the command did not exit by itself (not started, killed by the timeout or a signal). */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Why it could not run at all (ENOENT, EACCES), if so. */
  readonly error?: string;
}

/** Runs argv without a shell, stdout and stderr kept apart, killed when the time is up. */
export async function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("runCommand: empty argv");
  const r = await execa(file, args, {
    env,
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    maxBuffer: 16 * 1024 * 1024,
  });
  const exitCode = typeof r.exitCode === "number" ? r.exitCode : -1;
  const notStarted = r.failed && typeof r.exitCode !== "number" && !r.timedOut;
  return {
    exitCode,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    timedOut: r.timedOut,
    ...(notStarted ? { error: (r as { shortMessage?: string }).shortMessage ?? "could not start it" } : {}),
  };
}

/** The last non-empty line of a command's stderr (rkt puts its error there), or how it ended. */
export function whyFailed(r: CommandResult, timeoutMs: number): string {
  if (r.error) return r.error;
  if (r.timedOut) return `no answer within ${Math.round(timeoutMs / 1000)}s`;
  const line = r.stderr
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .pop();
  return (line ?? "").trim().slice(0, 300) || `exit status ${r.exitCode}`;
}
