/**
 * rkt's api/v1 Pod and App JSON. `list`/`status` use rkt 1.30's immutable-pod logic for apps (state is
 * `exited` once an exit status exists, else the pod's state; times are the pod's), while `app status`
 * reports each app's own data. Empty fields are omitted, as Go's omitempty does.
 */
import { type AppRecord, type PodRecord, type PodState, podState } from "../store/pods";
import { type JsonObject, type JsonValue, sortedMap, toGoJson, toGoJsonIndent } from "../util/json";
import { goStatusTime } from "../util/time";

const secs = (ns: string): bigint => BigInt(ns) / 1_000_000_000n;

function mountsJson(app: AppRecord): JsonValue | undefined {
  if (app.mounts.length === 0) return undefined;
  return app.mounts.map((m) => ({ name: m.name, container_path: m.target, host_path: m.source, read_only: m.readOnly }));
}

function approximateApp(pod: PodRecord, state: PodState, app: AppRecord): JsonObject {
  return {
    name: app.name,
    state: app.exitCode !== undefined || state === "exited" ? "exited" : state,
    created_at: BigInt(pod.createdAt),
    started_at: pod.startedAt !== undefined ? BigInt(pod.startedAt) : undefined,
    exit_code: app.exitCode,
    image_id: app.imageId,
    mounts: mountsJson(app),
    user_annotations: sortedMap(app.userAnnotations),
    user_labels: sortedMap(app.userLabels),
  };
}

export function podJson(pod: PodRecord, state: PodState = podState(pod)): JsonObject {
  return {
    name: pod.uuid,
    state,
    networks: pod.nets.length > 0 ? pod.nets.map((n) => ({ ...n })) : undefined,
    app_names: pod.apps.length > 0 ? pod.apps.map((a) => a.name) : undefined,
    apps: pod.apps.length > 0 ? pod.apps.map((a) => approximateApp(pod, state, a)) : undefined,
    created_at: secs(pod.createdAt),
    started_at: pod.startedAt !== undefined ? secs(pod.startedAt) : undefined,
    user_annotations: sortedMap(pod.userAnnotations),
    user_labels: sortedMap(pod.userLabels),
  };
}

/** The app's own state; once the pod has exited every app is `exited`. */
export function appState(app: AppRecord, pod: PodState): AppRecord["state"] {
  return pod === "exited" ? "exited" : app.state;
}

export function appJson(app: AppRecord, pod: PodState): JsonObject {
  return {
    name: app.name,
    state: appState(app, pod),
    created_at: BigInt(app.createdAt),
    started_at: app.startedAt !== undefined ? BigInt(app.startedAt) : undefined,
    finished_at: app.finishedAt !== undefined ? BigInt(app.finishedAt) : undefined,
    exit_code: app.exitCode,
    image_id: app.imageId,
    mounts: mountsJson(app),
    user_annotations: sortedMap(app.userAnnotations),
    user_labels: sortedMap(app.userLabels),
  };
}

/** --format: "json", "json-pretty", or "" for text; anything else is rejected like rkt does. */
export function formatJson(format: string, v: JsonValue): string {
  return format === "json-pretty" ? toGoJsonIndent(v, "\t") : toGoJson(v);
}

export function checkFormat(format: string): string | undefined {
  return ["", "json", "json-pretty"].includes(format) ? undefined : `invalid format type: ${format}`;
}

export function networksText(pod: PodRecord): string {
  return pod.nets.map((n) => `${n.netName}:ip4=${n.ip}`).join(",");
}

/** `rkt status` text form. */
export function podStatusText(pod: PodRecord, state: PodState): string {
  const lines = [`state=${state}`, `created=${goStatusTime(BigInt(pod.createdAt))}`];
  if (pod.startedAt !== undefined) lines.push(`started=${goStatusTime(BigInt(pod.startedAt))}`);
  lines.push(`networks=${networksText(pod)}`, `pid=${pod.pid}`, `exited=${state === "exited"}`);
  if (state === "exited") {
    for (const app of pod.apps) if (app.exitCode !== undefined) lines.push(`app-${app.name}=${app.exitCode}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `rkt app status` text form: key=value lines. */
export function appStatusText(app: AppRecord, pod: PodState): string {
  const j = appJson(app, pod);
  const lines = [`name=${app.name}`, `state=${String(j.state)}`, `created=${goStatusTime(BigInt(app.createdAt))}`];
  if (app.startedAt !== undefined) lines.push(`started=${goStatusTime(BigInt(app.startedAt))}`);
  if (app.finishedAt !== undefined) lines.push(`finished=${goStatusTime(BigInt(app.finishedAt))}`);
  if (app.exitCode !== undefined) lines.push(`exit_code=${app.exitCode}`);
  lines.push(`image_id=${app.imageId}`);
  for (const m of app.mounts)
    lines.push(`mount: volume=${m.name},container_path=${m.target},host_path=${m.source},read_only=${m.readOnly}`);
  for (const [k, v] of Object.entries(sortedMap(app.userAnnotations) ?? {})) lines.push(`user-annotation: ${k}=${v}`);
  for (const [k, v] of Object.entries(sortedMap(app.userLabels) ?? {})) lines.push(`user-label: ${k}=${v}`);
  return `${lines.join("\n")}\n`;
}
