import { stat } from "node:fs/promises";
import { parseRktVersion, RktRunner } from "@rktlet/adapters-rkt";
import type { DaemonOptions } from "../../daemon/options";
import { runCommand, whyFailed } from "../exec";
import { findExecutable, isExecutableFile } from "../fs-probe";
import { type DoctorContext, type DoctorHost, type RktProbe, result } from "../types";

const ID = "rkt";
const TITLE = "rkt binary";
/** rktlet follows rkt 1.30's command line (the `app` sandbox mode, JSON output). */
const EXPECTED: readonly [number, number] = [1, 30];

/** rkt's argv exactly as the daemon builds it: global flags after the first subcommand word. */
export function rktArgv(options: DaemonOptions, sub: string, args: readonly string[]): string[] {
  const runner = new RktRunner({
    rktPath: options.rktPath,
    dataDir: options.rktDataDir,
    insecureOptions: options.rktInsecureOptions,
    commandTimeoutMs: 0,
  });
  return runner.argv(sub, args);
}

/** rkt's environment: without the experiment variables `rkt app` does not exist. */
export const rktEnv = (host: DoctorHost): NodeJS.ProcessEnv => ({ ...host.env, RKT_EXPERIMENT_APP: "true", RKT_EXPERIMENT_ATTACH: "true" });

/** "1.30.0+git-dirty" → [1, 30, 0]; undefined when it is no version. */
export function versionNumbers(v: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** Is the binary there and executable, does `rkt version` answer, and with which version. */
export async function probeRkt(ctx: DoctorContext): Promise<RktProbe> {
  const { options, host } = ctx;
  const flag = `--rkt-path ${options.rktPath}`;
  /** rkt cannot be used: no version, and the line says why and what to do. */
  const unusable = (path: string | undefined, found: string, fix: string): RktProbe => ({
    ...(path !== undefined ? { path } : {}),
    version: "",
    result: result(ID, TITLE, "fail", found, fix),
  });
  const path = await findExecutable(options.rktPath, host.env);
  if (path === undefined)
    return unusable(undefined, `"${options.rktPath}" is not in PATH`, "install rkt 1.30, or point --rkt-path at the rkt binary");
  if (!(await isExecutableFile(path))) {
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    return exists
      ? unusable(path, `${path} (${flag}) is not an executable file`, `chmod +x ${path}, or point --rkt-path at the rkt binary`)
      : unusable(path, `no file at ${path} (${flag})`, "install rkt 1.30 there, or point --rkt-path at the rkt binary");
  }
  const timeout = Math.max(1000, host.timeoutMs - 1000);
  const r = await runCommand(rktArgv(options, "version", []), rktEnv(host), timeout);
  if (r.exitCode !== 0)
    return unusable(
      path,
      `\`${path} version\` failed: ${whyFailed(r, timeout)}`,
      "run it by hand to see why, or point --rkt-path at a working rkt 1.30",
    );
  const version = parseRktVersion(r.stdout);
  const numbers = versionNumbers(version);
  if (!version || !numbers)
    return unusable(path, `${path} answers \`version\` without "rkt Version:": it is not rkt`, "point --rkt-path at the rkt binary");
  const [major, minor] = numbers as [number, number, number];
  const older = major < EXPECTED[0] || (major === EXPECTED[0] && minor < EXPECTED[1]);
  if (older) {
    return {
      path,
      version,
      result: result(
        ID,
        TITLE,
        "warn",
        `${path}: rkt ${version}, older than the 1.30 whose command line rktlet speaks (rkt app sandbox, JSON output)`,
        "install rkt 1.30.0 and point --rkt-path at it",
      ),
    };
  }
  return { path, version, result: result(ID, TITLE, "ok", `${path}: rkt ${version}`) };
}
