import { type CheckResult, type DoctorContext, result } from "../types";

/** rkt makes namespaces, mounts and cgroups: it needs root, and so does rktlet, which runs it. */
export async function checkRoot(ctx: DoctorContext): Promise<CheckResult> {
  const uid = ctx.host.uid;
  if (uid === 0) return result("root", "running as root", "ok", "uid 0");
  return result(
    "root",
    "running as root",
    "fail",
    uid === undefined ? "this platform has no uids (rkt runs on Linux only)" : `uid ${uid}: rkt needs root (namespaces, mounts, cgroups)`,
    "run rktlet, and rktlet doctor, as root (e.g. a systemd service, or sudo)",
  );
}
