/** `rkt app status UUID --app=NAME [--format=json]`: the app's own state and times (rc 1 on failure). */
import type { Context } from "../cli/command";
import { fail } from "../errors";
import { podState, resolvePod } from "../store/pods";
import { stdout } from "../util/out";
import { appJson, appStatusText, checkFormat, formatJson } from "./render";

const EXIT_APP_STATUS = 1;

export function runAppStatus(ctx: Context): number {
  const name = ctx.flags.str("app");
  if (ctx.args.length !== 1 || name === "") {
    stdout.write(ctx.usage());
    return EXIT_APP_STATUS;
  }
  const format = ctx.flags.str("format");
  const bad = checkFormat(format);
  if (bad) throw fail(ctx.name, bad, EXIT_APP_STATUS);
  let pod: ReturnType<typeof resolvePod>;
  try {
    pod = resolvePod(ctx.globals.dir, ctx.args[0]!);
  } catch (e) {
    throw fail(ctx.name, `error getting app status: ${(e as Error).message}`, EXIT_APP_STATUS);
  }
  const app = pod.apps.find((a) => a.name === name);
  if (!app) throw fail(ctx.name, `cannot find app ${JSON.stringify(name)} in the pod`, EXIT_APP_STATUS);
  const state = podState(pod);
  stdout.write(format === "" ? appStatusText(app, state) : `${formatJson(format, appJson(app, state))}\n`);
  return 0;
}
