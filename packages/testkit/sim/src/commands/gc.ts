/** `rkt gc`: deletes pods that exited longer ago than the grace period. */
import * as fs from "node:fs";
import type { Context } from "../cli/command";
import { FlagError } from "../errors";
import { podRecordFile } from "../store/paths";
import { listPods, podState } from "../store/pods";
import { stderr, stdout } from "../util/out";
import { nowNs, parseGoDurationMs } from "../util/time";
import { removeExitedPod } from "./podops";

function exitTimeNs(dir: string, uuid: string, recorded: string | undefined): bigint {
  if (recorded !== undefined) return BigInt(recorded);
  // A killed sandbox recorded no exit time: its record's last write is the best estimate.
  try {
    return BigInt(Math.floor(fs.statSync(podRecordFile(dir, uuid)).mtimeMs)) * 1_000_000n;
  } catch {
    return 0n;
  }
}

export function runGc(ctx: Context): number {
  let graceMs: number;
  try {
    graceMs = parseGoDurationMs(ctx.flags.str("grace-period"));
  } catch (e) {
    throw new FlagError(
      `invalid argument ${JSON.stringify(ctx.flags.str("grace-period"))} for "--grace-period" flag: ${(e as Error).message}`,
    );
  }
  const now = nowNs();
  const dir = ctx.globals.dir;
  for (const pod of listPods(dir)) {
    if (podState(pod) !== "exited") continue;
    if (now - exitTimeNs(dir, pod.uuid, pod.exitedAt) < BigInt(Math.round(graceMs * 1e6))) continue;
    stderr.line(`gc: moving pod "${pod.uuid}" to garbage`);
    if (!ctx.flags.bool("mark-only") && removeExitedPod(dir, pod)) stdout.line(`Garbage collecting pod "${pod.uuid}"`);
  }
  return 0;
}
