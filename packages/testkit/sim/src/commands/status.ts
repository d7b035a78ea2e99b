/** `rkt status`: one pod as JSON or key=value text, optionally after waiting for exit or readiness. */
import * as fs from "node:fs";
import type { Context } from "../cli/command";
import { parseGoBool } from "../cli/flags";
import { EXIT_FAIL, FlagError, fail } from "../errors";
import { type PodRecord, podState, readPod } from "../store/pods";
import { sleep } from "../util/fsx";
import { stdout } from "../util/out";
import { parseGoDurationMs } from "../util/time";
import { podOrFail } from "./podref";
import { checkFormat, formatJson, podJson, podStatusText } from "./render";

const POLL_MS = 20;

/** A bool-or-duration flag value in ms: true → wait forever (-1), false → no wait (0). */
export function boolOrDurationMs(flagName: string, value: string): number {
  const b = parseGoBool(value);
  if (b !== undefined) return b ? -1 : 0;
  try {
    return parseGoDurationMs(value);
  } catch (e) {
    throw new FlagError(`invalid argument ${JSON.stringify(value)} for "--${flagName}" flag: ${(e as Error).message}`);
  }
}

/** The uuid from --uuid-file or the single positional argument; undefined means "print usage". */
export function podArg(ctx: Context): string | undefined {
  const file = ctx.flags.str("uuid-file");
  if (file) {
    if (ctx.args.length > 0) return undefined;
    try {
      return fs.readFileSync(file, "utf8").trim();
    } catch (e) {
      throw fail(ctx.name, `unable to read UUID from file: ${(e as Error).message}`);
    }
  }
  return ctx.args.length === 1 ? ctx.args[0] : undefined;
}

/** Polls the pod record until `done` holds (true), the deadline passes (false) or the pod is removed. */
async function waitFor(dir: string, uuid: string, ms: number, done: (p: PodRecord) => boolean): Promise<boolean | "gone"> {
  const deadline = ms < 0 ? Number.POSITIVE_INFINITY : Date.now() + ms;
  for (;;) {
    let rec: PodRecord | undefined;
    try {
      rec = readPod(dir, uuid);
    } catch {
      rec = undefined;
    }
    if (!rec) return "gone";
    if (done(rec)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
}

export async function runStatus(ctx: Context): Promise<number> {
  const format = ctx.flags.str("format");
  const bad = checkFormat(format);
  if (bad) throw fail(ctx.name, bad);
  const given = podArg(ctx);
  if (given === undefined) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  const waitMs = boolOrDurationMs("wait", ctx.flags.str("wait"));
  const readyMs = boolOrDurationMs("wait-ready", ctx.flags.str("wait-ready"));
  const dir = ctx.globals.dir;
  const { uuid } = podOrFail(ctx, given);
  // A pod removed while waiting falls through to the lookup below, which reports it missing.
  if (waitMs !== 0 && (await waitFor(dir, uuid, waitMs, (p) => podState(p) === "exited")) === false) {
    throw fail(ctx.name, "error waiting for exit: context deadline exceeded");
  }
  if (readyMs !== 0 && (await waitFor(dir, uuid, readyMs, (p) => p.ready && podState(p) === "running")) === false) {
    throw fail(ctx.name, "error waiting for pod readiness: context deadline exceeded");
  }
  const pod = podOrFail(ctx, uuid);
  const state = podState(pod);
  stdout.write(format === "" ? podStatusText(pod, state) : `${formatJson(format, podJson(pod, state))}\n`);
  return 0;
}
