import { realpath } from "node:fs/promises";
import { mountOf, sharedPeerGroup } from "@rktlet/node-support";
import { findExecutable, nearestExisting } from "../fs-probe";
import { readMountEntries } from "../mountinfo";
import { type CheckResult, type DoctorContext, result } from "../types";

const ID = "data-mount";
const TITLE = "data dir propagation";

/**
 * rkt needs mount propagation from its data directory into pods: without it pods become ready but every
 * app exits at once (status 203) while rkt reports success. A shared bind mount of the directory on itself
 * is the preparation that is known to work; the daemon makes it at start-up unless --rkt-shared-mount=false.
 */
export async function checkDataMount(ctx: DoctorContext): Promise<CheckResult> {
  const { options, host } = ctx;
  const dir = options.rktDataDir;
  const base = await nearestExisting(dir);
  const real = await realpath(base.path);
  const entries = await readMountEntries(host.mountinfoPath);
  const mount = mountOf(entries, real);
  const isMountPoint = !base.missing && mount?.mountPoint === real;
  const peer = mount ? sharedPeerGroup(mount) : undefined;
  const prepare = `mount --bind ${dir} ${dir} && mount --make-rshared ${dir}`;

  if (isMountPoint && peer) return result(ID, TITLE, "ok", `${dir} is a shared mount (${peer})`);
  const where = base.missing
    ? `${dir} does not exist yet`
    : isMountPoint
      ? `${dir} is a mount point but not shared`
      : `${dir} is not a mount point (it lies on ${mount?.mountPoint ?? "an unknown mount"}, ${peer ? `shared, ${peer}` : "not shared"})`;

  if (options.rktSharedMount) {
    if (!(await findExecutable("mount", host.env))) {
      return result(
        ID,
        TITLE,
        "fail",
        `${where}; rktlet would make it a shared mount at start-up, but mount(8) is not in PATH`,
        `install mount (util-linux), or run \`${prepare}\` before rktlet and pass --rkt-shared-mount=false`,
      );
    }
    return result(ID, TITLE, "ok", `${where}; rktlet makes it a shared bind mount at start-up (--rkt-shared-mount=true)`);
  }
  if (!base.missing && peer) {
    // propagation through the parent mount alone is not what rkt was seen working with
    return result(
      ID,
      TITLE,
      "warn",
      `${where}, with --rkt-shared-mount=false`,
      `run \`${prepare}\` (e.g. from a mount unit), or drop --rkt-shared-mount=false`,
    );
  }
  return result(
    ID,
    TITLE,
    "fail",
    `${where}, and --rkt-shared-mount=false: pods would start but every app would exit at once (status 203)`,
    `run \`${prepare}\` before rktlet (e.g. from a mount unit), or drop --rkt-shared-mount=false so that rktlet does it`,
  );
}
