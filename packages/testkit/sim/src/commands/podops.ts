/** Pod-level operations shared by stop, rm and gc. */
import * as fs from "node:fs";
import { SupervisorUnreachable, sendRequest } from "../ipc/client";
import { deletePodDir, type PodRecord, podState, readPod } from "../store/pods";
import { podScopeCandidates, removePodScope } from "../supervisor/cgroup";
import { isProcessAlive, killGroup } from "../util/proc";

/** Asks the sandbox to stop its pod; it acknowledges at once and the pod exits shortly after. */
export async function requestPodStop(dir: string, pod: PodRecord, force: boolean): Promise<void> {
  try {
    const res = await sendRequest(dir, pod.uuid, { op: "stop-pod", force });
    if (!res.ok) throw new Error(res.error);
  } catch (e) {
    if (!(e instanceof SupervisorUnreachable)) throw e;
    // Not listening (still starting, or wedged): signal the sandbox process itself.
    const rec = readPod(dir, pod.uuid) ?? pod;
    if (podState(rec) === "running") process.kill(rec.pid, force ? "SIGKILL" : "SIGTERM");
  }
}

/** Deletes an exited pod. App processes a killed sandbox left behind are killed first. */
export function removeExitedPod(dir: string, pod: PodRecord): boolean {
  for (const app of pod.apps) {
    if (app.pid !== undefined && app.pidStart !== undefined && isProcessAlive(app.pid, app.pidStart)) killGroup(app.pid, "SIGKILL");
  }
  // A killed sandbox could not remove its pod scope cgroup; it is empty now.
  for (const scope of podScopeCandidates(pod.uuid)) if (fs.existsSync(scope)) removePodScope(scope);
  return deletePodDir(dir, pod.uuid);
}
