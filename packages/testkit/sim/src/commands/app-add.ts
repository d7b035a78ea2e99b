/** `rkt app add UUID IMAGE [app flags] [-- args ---]`: adds a created (not started) app to a running pod. */
import type { Context } from "../cli/command";
import { parseGoBool } from "../cli/flags";
import { EXIT_FAIL, FlagError, fail } from "../errors";
import { imageApp } from "../images/manifest";
import { resolveRunImage } from "../images/resolve";
import { SupervisorUnreachable, sendRequest } from "../ipc/client";
import { type ImageRecord, imageListName, touchImage } from "../store/images";
import { type AppRecord, podState } from "../store/pods";
import { stderr, stdout } from "../util/out";
import { nowNs } from "../util/time";
import { type AppArgs, parseAppArgs } from "./app-args";
import { podOrFail } from "./podref";

/** rkt names an app after the last path component of its image name. */
function defaultAppName(image: ImageRecord): string {
  const base = image.name.split("/").pop() ?? image.name;
  return (
    base
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "app"
  );
}

function buildApp(spec: AppArgs, image: ImageRecord): AppRecord {
  const defaults = imageApp(image.manifest);
  let exec = defaults.exec;
  if (spec.exec !== undefined) exec = [spec.exec, ...(spec.args ?? [])];
  else if (spec.args && spec.args.length > 0) exec = [defaults.exec[0] ?? "", ...spec.args];
  const env = new Map(defaults.env);
  for (const [k, v] of spec.environment) env.set(k, v);
  return {
    name: spec.name ?? defaultAppName(image),
    imageId: image.id,
    imageName: imageListName(image),
    exec,
    env: [...env.entries()],
    workingDir: spec.workingDir ?? defaults.workingDir,
    user: spec.user ?? defaults.user,
    group: spec.group ?? defaults.group,
    supplementaryGids: spec.supplementaryGids,
    readOnlyRootfs: spec.readOnlyRootfs,
    annotations: spec.annotations,
    userAnnotations: spec.userAnnotations,
    userLabels: spec.userLabels,
    mounts: spec.mounts,
    isolators: spec.isolators,
    stdin: spec.stdin,
    stdout: spec.stdout,
    stderr: spec.stderr,
    state: "created",
    createdAt: "0",
  };
}

export async function runAppAdd(ctx: Context): Promise<number> {
  if (ctx.args.length < 2) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  const [given, ...rest] = ctx.args as [string, ...string[]];
  const pod = podOrFail(ctx, given);
  if (podState(pod) !== "running") throw fail(ctx.name, `pod "${pod.uuid}" isn't currently running`);
  if (!pod.ready) throw fail(ctx.name, `supervisor for pod "${pod.uuid}" is not yet ready`);
  let spec: AppArgs;
  try {
    spec = parseAppArgs(rest, parseGoBool(ctx.env.RKT_EXPERIMENT_ATTACH ?? "") === true);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    const hint = /unknown flag: --std(in|out|err)$/.test(e.message)
      ? ["(rkt-sim: --stdin/--stdout/--stderr need RKT_EXPERIMENT_ATTACH=true)"]
      : [];
    if (e.message === "must provide exactly one image") throw fail(ctx.name, e.message);
    throw fail(ctx.name, [`error parsing app image arguments: ${e.message}`, ...hint].join("\n"));
  }
  let image: ImageRecord;
  try {
    image = resolveRunImage(ctx.globals.dir, spec.image);
  } catch (e) {
    throw fail(ctx.name, `error finding images: ${(e as Error).message}`);
  }
  stderr.line(`${ctx.name}: group "rkt" not found, will use default gid when rendering images`);
  const app = buildApp(spec, image);
  if (app.exec.length === 0) throw fail(ctx.name, `error adding app to pod: app ${JSON.stringify(app.name)} has no exec`);
  touchImage(ctx.globals.dir, image.id, nowNs());
  try {
    const res = await sendRequest(ctx.globals.dir, pod.uuid, { op: "add", app });
    if (!res.ok) throw fail(ctx.name, `error adding app to pod: ${res.error}`);
  } catch (e) {
    if (e instanceof SupervisorUnreachable) throw fail(ctx.name, `pod "${pod.uuid}" isn't currently running`);
    throw e;
  }
  return 0;
}
