/**
 * On-disk layout under --dir (mirrors rkt's where rkt has an equivalent):
 *
 *   pods/run/<uuid>/pod.json        the pod record (written only by its sandbox process, atomically)
 *   pods/run/<uuid>/pid             the sandbox's pid, as rkt's pod pid file
 *   pods/run/<uuid>/ctl.sock        the sandbox's control socket (unix stream, one JSON line each way)
 *   pods/run/<uuid>/stage1/rootfs/rkt/iottymux/<app>/endpoints   attach endpoints (stream-mode apps)
 *   pods/garbage/                   pods being deleted (renamed here first, so deletion is atomic)
 *   cas/images/<sha512-id>.json     image records (manifest, name, times, size)
 *   net/lock/                       mutex for IP allocation (mkdir lock)
 */
import * as path from "node:path";

export const SOCKET_NAME = "ctl.sock";
const RECORD_NAME = "pod.json";

export const podsRunDir = (dir: string): string => path.join(dir, "pods", "run");
export const podDir = (dir: string, uuid: string): string => path.join(podsRunDir(dir), uuid);
export const podRecordFile = (dir: string, uuid: string): string => path.join(podDir(dir, uuid), RECORD_NAME);
export const podSocketFile = (dir: string, uuid: string): string => path.join(podDir(dir, uuid), SOCKET_NAME);
export const garbageDir = (dir: string): string => path.join(dir, "pods", "garbage");
export const imagesDir = (dir: string): string => path.join(dir, "cas", "images");
export const netLockDir = (dir: string): string => path.join(dir, "net", "lock");
/** Relative to the pod directory, where the sandbox process runs. */
export const iottymuxRel = (app: string): string => path.join("stage1", "rootfs", "rkt", "iottymux", app);
