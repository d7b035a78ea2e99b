/**
 * Pod records. The sandbox process is the only writer of its pod.json; CLI commands read it and decide
 * liveness from the recorded sandbox pid + start time, so a SIGKILLed sandbox reads as an exited pod.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { NoMatchError } from "../errors";
import { isErrno, readJsonFile, writeFileAtomic } from "../util/fsx";
import { isProcessAlive } from "../util/proc";
import { garbageDir, podDir, podRecordFile, podsRunDir } from "./paths";

export type AppState = "created" | "running" | "exited";

export interface MountRecord {
  readonly name: string;
  readonly kind: string;
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface AppRecord {
  name: string;
  imageId: string;
  /** Image name as `rkt list` prints it (name:version). */
  imageName: string;
  exec: string[];
  env: [string, string][];
  workingDir: string;
  user: string;
  group: string;
  supplementaryGids: number[];
  readOnlyRootfs: boolean;
  annotations: Record<string, string>;
  userAnnotations: Record<string, string>;
  userLabels: Record<string, string>;
  mounts: MountRecord[];
  /** Resource and security settings, kept as given (the simulator does not enforce them). */
  isolators: Record<string, string>;
  stdin: string;
  stdout: string;
  stderr: string;
  state: AppState;
  /** Times are nanoseconds since the epoch, as decimal strings (they exceed 2^53). */
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** Main process (also its process group and session id) while running. */
  pid?: number;
  pidStart?: number;
}

export interface NetRecord {
  netName: string;
  netConf: string;
  pluginPath: string;
  ifName: string;
  ip: string;
  args: string;
  mask: string;
}

export interface PodRecord {
  uuid: string;
  createdAt: string;
  startedAt?: string;
  exitedAt?: string;
  /** As written by the sandbox; "running" with a dead sandbox means the sandbox was killed. */
  state: "running" | "exited";
  ready: boolean;
  pid: number;
  pidStart: number;
  annotations: Record<string, string>;
  userAnnotations: Record<string, string>;
  userLabels: Record<string, string>;
  hostname: string;
  dns: string[];
  dnsSearch: string[];
  dnsOpt: string[];
  dnsDomain: string;
  hostsEntries: string[];
  ports: string[];
  nets: NetRecord[];
  stage1Id: string;
  /** The sandbox ran with --debug (stage1 passes it on to iottymux). */
  debug: boolean;
  apps: AppRecord[];
  /** Names of apps removed with `app rm` (exec into them fails differently from unknown names). */
  removedApps: string[];
}

export type PodState = "running" | "exited";

export function podState(rec: PodRecord): PodState {
  if (rec.state === "exited") return "exited";
  return isProcessAlive(rec.pid, rec.pidStart) ? "running" : "exited";
}

export function readPod(dir: string, uuid: string): PodRecord | undefined {
  return readJsonFile<PodRecord>(podRecordFile(dir, uuid));
}

export function writePod(dir: string, rec: PodRecord): void {
  writeFileAtomic(podRecordFile(dir, rec.uuid), `${JSON.stringify(rec)}\n`);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function listPodUuids(dir: string): string[] {
  try {
    return fs
      .readdirSync(podsRunDir(dir))
      .filter((n) => UUID_RE.test(n))
      .sort();
  } catch (e) {
    if (isErrno(e, "ENOENT")) return [];
    throw e;
  }
}

/** Every readable pod record, sorted by uuid (rkt walks its pods directory in name order). */
export function listPods(dir: string): PodRecord[] {
  const out: PodRecord[] = [];
  for (const uuid of listPodUuids(dir)) {
    try {
      const rec = readPod(dir, uuid);
      if (rec) out.push(rec);
    } catch {
      // a half-removed pod: rkt skips unreadable pods too
    }
  }
  return out;
}

/** Full uuid or a unique prefix of one, like rkt's pod lookup. */
export function resolvePod(dir: string, given: string): PodRecord {
  const want = given.toLowerCase();
  const matches = want === "" ? [] : listPodUuids(dir).filter((u) => u.startsWith(want));
  if (matches.length === 0) throw new NoMatchError(given);
  if (matches.length > 1 && !matches.includes(want)) throw new Error(`ambiguous uuid, ${matches.length} matches`);
  const uuid = matches.includes(want) ? want : matches[0]!;
  const rec = readPod(dir, uuid);
  if (!rec) throw new NoMatchError(given);
  return rec;
}

/** Deletes a pod directory: renamed into pods/garbage first, so concurrent removers cannot both succeed. */
export function deletePodDir(dir: string, uuid: string): boolean {
  const g = garbageDir(dir);
  fs.mkdirSync(g, { recursive: true });
  const target = path.join(g, `${uuid}.${process.pid}.${Date.now()}`);
  try {
    fs.renameSync(podDir(dir, uuid), target);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return false;
    throw e;
  }
  fs.rmSync(target, { recursive: true, force: true });
  return true;
}
