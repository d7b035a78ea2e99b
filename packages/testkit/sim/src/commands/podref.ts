/** Pod lookup with the error wording each command uses. */
import type { Context } from "../cli/command";
import { fail } from "../errors";
import { type PodRecord, resolvePod } from "../store/pods";

/** `<cmd>: problem retrieving pod: <err>` (254) for a missing or ambiguous uuid. */
export function podOrFail(ctx: Context, given: string, what = "problem retrieving pod", exitCode?: number): PodRecord {
  try {
    return resolvePod(ctx.globals.dir, given);
  } catch (e) {
    throw fail(ctx.name, `${what}: ${(e as Error).message}`, exitCode);
  }
}
