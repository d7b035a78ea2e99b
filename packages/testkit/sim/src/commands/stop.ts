/** `rkt stop`: asks each pod to stop and returns before the pods have exited. */
import * as fs from "node:fs";
import type { Context } from "../cli/command";
import { EXIT_FAIL, fail } from "../errors";
import { type PodRecord, podState, resolvePod } from "../store/pods";
import { stderr, stdout } from "../util/out";
import { requestPodStop } from "./podops";

/** UUIDs from --uuid-file or the positional arguments (rkt stop and rm take several). */
export function podArgs(ctx: Context): string[] {
  const file = ctx.flags.str("uuid-file");
  if (!file) return [...ctx.args];
  try {
    return [fs.readFileSync(file, "utf8").trim()];
  } catch (e) {
    throw fail(ctx.name, `unable to read UUID from file: ${(e as Error).message}`);
  }
}

export async function runStop(ctx: Context): Promise<number> {
  const uuids = podArgs(ctx);
  if (uuids.length === 0) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  const force = ctx.flags.bool("force");
  let failed = 0;
  for (const given of uuids) {
    let pod: PodRecord;
    try {
      pod = resolvePod(ctx.globals.dir, given);
    } catch (e) {
      stderr.line(`stop: cannot get pod: ${(e as Error).message}`);
      failed++;
      continue;
    }
    if (podState(pod) === "exited") {
      stdout.line(`pod "${pod.uuid}" is already stopped`);
      continue;
    }
    try {
      await requestPodStop(ctx.globals.dir, pod, force);
      stdout.line(`"${pod.uuid}"`);
    } catch (e) {
      stderr.line(`stop: error stopping "${pod.uuid}": ${(e as Error).message}`);
      failed++;
    }
  }
  if (failed > 0) {
    stderr.line(`stop: failed to stop ${failed} pod(s)`);
    return EXIT_FAIL;
  }
  return 0;
}
