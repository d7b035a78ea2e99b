import { readdir, realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseImageList } from "@rktlet/adapters-rkt";
import { runCommand, whyFailed } from "../exec";
import { type CheckResult, type DoctorContext, result } from "../types";
import { rktArgv, rktEnv } from "./rkt";

const ID = "stage1";
const TITLE = "stage1 image";
const STAGE1_PREFIX = "coreos.com/rkt/stage1-";
/** stage1-fly has no app entrypoints: `rkt app sandbox` cannot work with it. */
const isFly = (name: string) => name.includes("stage1-fly");
const shortId = (id: string) => id.slice(0, 19);

/**
 * The configured stage1 is in rkt's store, or is fetched now, as the daemon would at start-up. Without
 * --rkt-stage1-name, rkt's built-in default is used: it is found in the store, or as an ACI beside the rkt
 * binary or in the usual stage1 directories, which rkt imports on first use.
 */
export async function checkStage1(ctx: DoctorContext): Promise<CheckResult> {
  const { options, host } = ctx;
  const name = options.rktStage1Name;
  if (name && isFly(name)) {
    return result(
      ID,
      TITLE,
      "fail",
      `${name} is a fly stage1: it has no app entrypoints, so rkt app sandbox pods cannot run`,
      "choose a systemd-based stage1 (coreos, kvm, host) with --rkt-stage1-name",
    );
  }
  const rkt = await ctx.rkt;
  if (rkt.result.status === "fail") return result(ID, TITLE, "skip", "not checked: rkt does not run (see rkt binary)");
  const store = `rkt's store (--rkt-data-dir ${options.rktDataDir})`;
  const limit = Math.max(1000, host.timeoutMs - 1000);
  const list = await runCommand(rktArgv(options, "image", ["list", "--full", "--format=json", "--sort=importtime"]), rktEnv(host), limit);
  if (list.exitCode !== 0) {
    return result(
      ID,
      TITLE,
      "fail",
      `rkt image list failed: ${whyFailed(list, limit)}`,
      `run \`${rktArgv(options, "image", ["list"]).join(" ")}\` by hand to see why`,
    );
  }
  let images: ReturnType<typeof parseImageList>;
  try {
    images = parseImageList(list.stdout);
  } catch (err) {
    return result(
      ID,
      TITLE,
      "fail",
      `rkt image list printed no image list: ${(err as Error).message}`,
      "check that --rkt-path is rkt 1.30",
    );
  }

  if (name) {
    const present = images.find((i) => i.name === name || i.id === name);
    if (present) return result(ID, TITLE, "ok", `${name} is in ${store} (${shortId(present.id)})`);
    // the daemon fetches it at start-up the same way: doing it now is the only sure test of "fetchable"
    const fetchLimit = Math.max(1000, host.stage1TimeoutMs - 2000);
    const f = await runCommand(rktArgv(options, "image", ["fetch", "--pull-policy=new", "--full=true", name]), rktEnv(host), fetchLimit);
    const id = f.stdout.trim().split("\n").pop()?.trim() ?? "";
    if (f.exitCode === 0) return result(ID, TITLE, "ok", `${name} was not in ${store}; fetched it now (${shortId(id)})`);
    return result(
      ID,
      TITLE,
      "fail",
      `${name} is not in ${store} and could not be fetched: ${whyFailed(f, fetchLimit)}`,
      `import it (${rktArgv(options, "image", ["fetch", "file:///path/to/stage1.aci"]).join(" ")}), add http/tls to --rkt-insecure-options for a private registry, or choose another --rkt-stage1-name`,
    );
  }

  const stored = images.filter((i) => i.name.startsWith(STAGE1_PREFIX) && !isFly(i.name)).map((i) => i.name);
  if (stored.length > 0) return result(ID, TITLE, "ok", `rkt's default stage1 (no --rkt-stage1-name); ${store} has ${stored.join(", ")}`);
  const besideRkt = rkt.path ? [dirname(await realpath(rkt.path).catch(() => rkt.path ?? "/"))] : [];
  const acis = await findStage1Acis([...besideRkt, ...host.stage1SearchDirs]);
  if (acis.length > 0)
    return result(
      ID,
      TITLE,
      "ok",
      `rkt's default stage1 (no --rkt-stage1-name): not in the store yet; rkt imports ${acis[0]} on first use`,
    );
  return result(
    ID,
    TITLE,
    "warn",
    `no stage1 image in ${store}, and no stage1-*.aci in ${[...besideRkt, ...host.stage1SearchDirs].join(", ")}; pods fail to start unless this rkt build keeps its default stage1 elsewhere`,
    `import one (${rktArgv(options, "image", ["fetch", "file:///path/to/stage1-coreos.aci"]).join(" ")}), or set --rkt-stage1-name to a fetchable stage1`,
  );
}

async function findStage1Acis(dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names.sort()) if (/^stage1-.*\.aci$/.test(n) && !isFly(n)) out.push(join(dir, n));
  }
  return out;
}
