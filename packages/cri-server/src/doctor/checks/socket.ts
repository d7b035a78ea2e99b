import { dirname } from "node:path";
import { isLive } from "../../socket";
import { lstatOrUndefined, nearestExisting, probeWritable } from "../fs-probe";
import { type CheckResult, type DoctorContext, result } from "../types";

const ID = "socket";
const TITLE = "CRI socket";
/** sun_path holds 108 bytes, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

const mode = (m: number) => (m & 0o7777).toString(8).padStart(4, "0");

/** The --listen path: its directory can be made and written, nothing but a stale socket is in the way. */
export async function checkSocket(ctx: DoctorContext): Promise<CheckResult> {
  const path = ctx.options.listen;
  const dir = dirname(path);
  const choose = "choose another --listen path";
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    return result(
      ID,
      TITLE,
      "fail",
      `${path} is ${Buffer.byteLength(path)} bytes, over the ${MAX_SOCKET_PATH} a unix socket path may have`,
      `${choose} (a shorter one)`,
    );
  }
  const unwritable = await probeWritable(dir);
  if (unwritable !== undefined) return result(ID, TITLE, "fail", `cannot create the socket in ${dir}: ${unwritable}`, choose);

  const base = await nearestExisting(dir);
  const dirNote = base.missing
    ? `its directory ${dir} does not exist yet (rktlet creates it)`
    : `its directory ${dir} (mode ${mode(base.stat.mode)}) is writable`;
  const st = await lstatOrUndefined(path);
  if (st && !st.isSocket())
    return result(ID, TITLE, "fail", `${path} exists and is not a socket; rktlet will not replace it`, `remove it, or ${choose}`);
  if (st && (await isLive(path, Math.min(2000, ctx.host.timeoutMs)))) {
    return result(
      ID,
      TITLE,
      "warn",
      `another process already serves ${path} (a running rktlet?); a new rktlet would refuse to start on it`,
      `stop that process first, or ${choose}`,
    );
  }
  // a directory others may write to lets them replace the socket kubelet connects to
  const open = !base.missing && (base.stat.mode & 0o022) !== 0 && (base.stat.mode & 0o1000) === 0;
  if (open) {
    return result(
      ID,
      TITLE,
      "warn",
      `${path}: its directory ${dir} (mode ${mode(base.stat.mode)}) is writable by others, who could replace the socket`,
      `use a directory only root can write, such as /run, or chmod go-w ${dir}`,
    );
  }
  const stale = st ? "; a stale socket from an earlier run is there (no one serves it), which rktlet removes at start-up" : "";
  return result(ID, TITLE, "ok", `${path}: ${dirNote}${stale}; rktlet creates the socket mode 0660`);
}
