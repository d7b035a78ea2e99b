/** `rkt app start|stop|rm UUID --app=NAME`: forwarded to the pod's supervisor. */
import type { Context } from "../cli/command";
import { EXIT_FAIL, fail } from "../errors";
import { SupervisorUnreachable, sendRequest } from "../ipc/client";
import { type PodRecord, podState, readPod } from "../store/pods";
import { stdout } from "../util/out";
import { podOrFail } from "./podref";

type Op = "start" | "stop" | "rm";
const VERB: Record<Op, string> = { start: "starting", stop: "stopping", rm: "removing" };

/** An exited pod: `app stop` reports success like rkt (on stdout, rc 0); the others fail. */
function exitedPod(ctx: Context, op: Op, pod: PodRecord): number {
  if (op === "stop") {
    stdout.line(`pod "${pod.uuid}" is already stopped`);
    return 0;
  }
  throw fail(ctx.name, `pod "${pod.uuid}" isn't currently running`);
}

async function appOp(ctx: Context, op: Op): Promise<number> {
  const name = ctx.flags.str("app");
  if (ctx.args.length !== 1 || name === "") {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  const pod = podOrFail(ctx, ctx.args[0]!);
  if (podState(pod) === "exited") return exitedPod(ctx, op, pod);
  if (!pod.ready) throw fail(ctx.name, `supervisor for pod "${pod.uuid}" is not yet ready`);
  try {
    const res = await sendRequest(ctx.globals.dir, pod.uuid, { op, app: name });
    if (!res.ok) throw fail(ctx.name, `error ${VERB[op]} app: ${res.error}`);
  } catch (e) {
    if (!(e instanceof SupervisorUnreachable)) throw e;
    const now = readPod(ctx.globals.dir, pod.uuid);
    if (!now || podState(now) === "exited") return exitedPod(ctx, op, pod);
    throw fail(ctx.name, `supervisor for pod "${pod.uuid}" is not yet ready`);
  }
  return 0;
}

export const runAppStart = (ctx: Context): Promise<number> => appOp(ctx, "start");
export const runAppStop = (ctx: Context): Promise<number> => appOp(ctx, "stop");
export const runAppRm = (ctx: Context): Promise<number> => appOp(ctx, "rm");
