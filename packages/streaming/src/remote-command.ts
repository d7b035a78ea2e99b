import type { Readable, Writable } from "node:stream";
import type { InteractiveProcess, Logger, StreamRuntime, StreamSession } from "@rktlet/core";
import type { RemoteCommandSession } from "./session";

/** How long an attach stays after the client closed its stdin, so the answer to its last input gets out. */
const ATTACH_LINGER_MS = 300;

type CommandRequest = Exclude<StreamSession, { kind: "portforward" }>;

/**
 * Joins a client's exec/attach streams to the runtime's process: stdin in (its end closes the process's
 * stdin), output out, resizes through, and the exit status onto the error channel once the output is
 * delivered. A client that goes away kills the process; an attach also ends when the client closes stdin.
 */
export async function runRemoteCommand(
  rc: RemoteCommandSession,
  req: CommandRequest,
  runtime: StreamRuntime,
  logger: Logger,
): Promise<void> {
  const options = { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr && !req.tty, tty: req.tty };
  let proc: InteractiveProcess;
  try {
    proc = req.kind === "exec" ? await runtime.exec(req.containerId, req.cmd, options) : await runtime.attach(req.containerId, options);
  } catch (err) {
    await rc.finish({ kind: "error", message: (err as Error).message });
    return;
  }
  let gone = false;
  void rc.closed.then(() => {
    gone = true;
    proc.kill();
  });
  rc.onResize((size) => proc.resize(size));
  if (rc.stdin && proc.stdin) {
    rc.stdin.pipe(proc.stdin as Writable);
    // An attach ends with the client's stdin (as containerd's does), once the container had a moment to answer it.
    if (req.kind === "attach") rc.stdin.once("end", () => setTimeout(() => proc.kill(), ATTACH_LINGER_MS).unref());
  } else {
    rc.stdin?.resume();
  }
  const delivered = [copy(proc.stdout, rc.stdout), copy(proc.stderr, rc.stderr)];
  let exitCode: number | undefined;
  let failure: string | undefined;
  try {
    exitCode = await proc.exited;
  } catch (err) {
    failure = (err as Error).message;
  }
  await Promise.race([Promise.all(delivered), rc.closed]);
  if (gone) return;
  logger.debug({ containerId: req.containerId, kind: req.kind, exitCode, failure }, "session ended");
  await rc.finish(failure !== undefined ? { kind: "error", message: failure } : { kind: "exited", exitCode: exitCode ?? 0 });
}

/** Copies process output to the client; resolves when all of it is handed over (or there is nothing to copy). */
function copy(from: NodeJS.ReadableStream | undefined, to: Writable | undefined): Promise<void> {
  if (!from) return Promise.resolve();
  const source = from as Readable;
  if (!to) {
    source.resume();
    return new Promise((resolve) => source.once("close", resolve).once("end", resolve));
  }
  return new Promise((resolve) => {
    source.pipe(to, { end: true });
    // a source destroyed without ending (a dropped attachment) still ends the client's channel
    source.once("close", () => {
      if (!to.writableEnded) to.end();
    });
    source.once("error", () => resolve());
    to.once("finish", resolve)
      .once("close", resolve)
      .once("error", () => resolve());
  });
}
