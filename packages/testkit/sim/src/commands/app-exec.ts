/**
 * `rkt app exec [--app=NAME] UUID CMD [ARGS…]`: runs CMD as a host process from this CLI process with the
 * app's environment and working directory, stdio passed straight through; exits with CMD's status.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import type { Context } from "../cli/command";
import { CliError, EXIT_FAIL, fail } from "../errors";
import { podState } from "../store/pods";
import { appCredentials, appEnv, hostPath, resolveExecutable } from "../supervisor/app-process";
import { stdout } from "../util/out";
import { pickApp } from "./app-pick";
import { podOrFail } from "./podref";

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function runAppExec(ctx: Context): Promise<number> | number {
  if (ctx.args.length < 1) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  const [given, ...cmdline] = ctx.args as [string, ...string[]];
  const cmd = cmdline.length > 0 ? cmdline : ["/bin/bash"];
  const pod = podOrFail(ctx, given);
  if (podState(pod) === "exited") throw fail(ctx.name, `pod "${pod.uuid}" isn't currently running`);
  const name = pickApp(ctx.name, pod, ctx.flags.str("app"));
  const app = pod.apps.find((a) => a.name === name);
  if (!app) {
    if (pod.removedApps.includes(name))
      throw new CliError([`Error: Chroot "/opt/stage2/${name}/rootfs" failed: No such file or directory`], 22);
    throw new CliError([`Error: Unable to fopen "/rkt/env/${name}": No such file or directory`], 6);
  }
  const env = appEnv(app);
  const workDir = hostPath(app, app.workingDir || "/");
  const cwd = isDir(workDir) ? workDir : "/";
  const exe = resolveExecutable(cmd[0]!, env.PATH ?? "", cwd);
  if (!exe) throw new CliError([`Error: Unable to open "${cmd[0]}": No such file or directory`], 1);
  const creds = appCredentials(app);
  const ids = creds && creds !== "unknown" && (creds.uid !== 0 || creds.gid !== 0) ? { uid: creds.uid, gid: creds.gid } : {};
  return new Promise((resolve) => {
    const child = spawn(exe, cmd.slice(1), { stdio: "inherit", cwd, env, argv0: cmd[0]!, ...ids });
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, forward);
    child.on("error", (e) => {
      process.stderr.write(`Error: Unable to execute "${cmd[0]}": ${e.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  });
}
