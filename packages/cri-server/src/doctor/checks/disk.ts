import { statfs } from "node:fs/promises";
import { bytes, GiB, MiB, nearestExisting } from "../fs-probe";
import { type CheckResult, result } from "../types";

const FAIL_UNDER = 100 * MiB;
const WARN_UNDER = 1 * GiB;
const WARN_UNDER_RATIO = 0.05;

/** Free space (for an unprivileged writer: root's reserve does not count) and free inodes under `dir`. */
export async function checkFreeSpace(id: string, what: string, flag: string, dir: string): Promise<CheckResult> {
  const title = `free space (${what})`;
  const base = await nearestExisting(dir);
  const fs = await statfs(base.path);
  const free = fs.bavail * fs.bsize;
  const total = fs.blocks * fs.bsize;
  const ratio = total > 0 ? free / total : 1;
  const inodeRatio = fs.files > 0 ? fs.ffree / fs.files : 1;
  const found = `${dir}${base.missing ? ` (on ${base.path})` : ""}: ${bytes(free)} free of ${bytes(total)} (${(ratio * 100).toFixed(1)}%)${fs.files > 0 ? `, ${(inodeRatio * 100).toFixed(1)}% of inodes free` : ""}`;
  const fix = `free space there, or point ${flag} at a larger file system`;
  if (free < FAIL_UNDER || (fs.files > 0 && fs.ffree < 1000)) return result(id, title, "fail", found, fix);
  if (free < WARN_UNDER || ratio < WARN_UNDER_RATIO || inodeRatio < WARN_UNDER_RATIO) return result(id, title, "warn", found, fix);
  return result(id, title, "ok", found);
}
