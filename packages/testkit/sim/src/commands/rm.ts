/** `rkt rm`: deletes exited pods; a running pod is refused. */
import type { Context } from "../cli/command";
import { EXIT_FAIL } from "../errors";
import { type PodRecord, podState, resolvePod } from "../store/pods";
import { stderr, stdout } from "../util/out";
import { removeExitedPod } from "./podops";
import { podArgs } from "./stop";

export function runRm(ctx: Context): number {
  const uuids = podArgs(ctx);
  if (uuids.length === 0) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  let failed = false;
  for (const given of uuids) {
    let pod: PodRecord;
    try {
      pod = resolvePod(ctx.globals.dir, given);
    } catch (e) {
      stderr.line(`rm: cannot get pod: ${(e as Error).message}`);
      failed = true;
      continue;
    }
    if (podState(pod) === "running") {
      stderr.line(`rm: pod "${pod.uuid}" is currently running`);
      failed = true;
      continue;
    }
    if (removeExitedPod(ctx.globals.dir, pod)) stdout.line(`"${pod.uuid}"`);
    else {
      stderr.line(`rm: cannot get pod: no matches found for "${given}"`);
      failed = true;
    }
  }
  if (failed) {
    stderr.line("rm: failed to remove one or more pods");
    return EXIT_FAIL;
  }
  return 0;
}
