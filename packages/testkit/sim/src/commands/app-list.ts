/** `rkt app list UUID`: NAME/STATE table with each app's own state (text only). */
import type { Context } from "../cli/command";
import { EXIT_FAIL } from "../errors";
import { podState } from "../store/pods";
import { stdout } from "../util/out";
import { tabwrite } from "../util/tabwriter";
import { podOrFail } from "./podref";
import { appState } from "./render";

export function runAppList(ctx: Context): number {
  if (ctx.args.length !== 1) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  const pod = podOrFail(ctx, ctx.args[0]!);
  const state = podState(pod);
  let text = ctx.flags.bool("no-legend") ? "" : "NAME\tSTATE\n";
  for (const app of pod.apps) text += `${app.name}\t${appState(app, state)}\n`;
  stdout.write(tabwrite(text));
  return 0;
}
