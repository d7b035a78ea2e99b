import { type Container, ContainerState, type NamespaceMode, type NamespaceOptions, type PodSandbox, PodSandboxState } from "@rktlet/core";
import { containerId, Reserved, withoutReserved } from "./commands/names";
import type { RktApp, RktPod } from "./parse/pod";
import { podIp } from "./parse/pod";
import { loadResources } from "./resources";
import type { ContainerRecord } from "./state/records";

/** rkt pod states that mean "up": everything else is NOTREADY for the CRI. */
export const isRunning = (pod: RktPod) => pod.state === "running";

/** Pods rktlet made carry the reserved pod-uid annotation; others (made by hand) are not the CRI's. */
export const isCriPod = (pod: RktPod) => pod.userAnnotations[Reserved.PodUid] !== undefined;

const MODES = new Set(["POD", "CONTAINER", "NODE", "TARGET"]);

function decodeNamespaceOptions(text: string | undefined, hasNetworks: boolean): NamespaceOptions {
  const out: Record<string, string> = {};
  for (const part of (text ?? "").split(",")) {
    const [k, v] = part.split("=");
    if (k && v && MODES.has(v)) out[k] = v;
  }
  return {
    network: (out.network ?? (hasNetworks ? "POD" : "NODE")) as NamespaceMode,
    pid: (out.pid ?? "CONTAINER") as NamespaceMode,
    ipc: (out.ipc ?? "POD") as NamespaceMode,
    targetId: "",
  };
}

/** rkt pod times are whole seconds; rktlet's own annotation has nanoseconds. */
function podCreatedAt(pod: RktPod): bigint {
  const exact = pod.userAnnotations[Reserved.PodCreatedAt];
  if (exact && /^\d+$/.test(exact)) return BigInt(exact);
  return BigInt(pod.createdAt ?? 0) * 1_000_000_000n;
}

export function toPodSandbox(pod: RktPod): PodSandbox {
  const a = pod.userAnnotations;
  const namespaceOptions = decodeNamespaceOptions(a[Reserved.NamespaceOptions], pod.networks.length > 0);
  const ip = podIp(pod);
  return {
    id: pod.uuid,
    metadata: {
      name: a[Reserved.PodName] ?? "",
      uid: a[Reserved.PodUid] ?? "",
      namespace: a[Reserved.PodNamespace] ?? "",
      attempt: Number.parseInt(a[Reserved.PodAttempt] ?? "0", 10) || 0,
    },
    state: isRunning(pod) ? PodSandboxState.Ready : PodSandboxState.NotReady,
    createdAt: podCreatedAt(pod),
    labels: { ...pod.userLabels },
    annotations: withoutReserved(a),
    network: namespaceOptions.network === "NODE" || !ip ? undefined : { ip, additionalIps: [] },
    namespaceOptions,
    runtimeHandler: a[Reserved.RuntimeHandler] ?? "",
    logDirectory: a[Reserved.LogDirectory] ?? "",
    // pods made before rktlet recorded the flag may be privileged: kubelet must still recreate their containers
    privileged: a[Reserved.Privileged] !== "false",
  };
}

const toBig = (s: string | undefined): bigint | undefined => (s === undefined ? undefined : BigInt(s));

/**
 * A container from rkt's list entry and rktlet's record. rkt's list is approximate per app (an added app
 * shows `running`, times are the pod's); the record says whether rktlet started it and when.
 */
export function toContainer(pod: RktPod, app: RktApp, record: ContainerRecord | undefined): Container {
  const a = app.userAnnotations;
  const id = containerId(pod.uuid, app.name);
  let state: ContainerState;
  if (app.state === "exited" || !isRunning(pod)) state = ContainerState.Exited;
  else if (!record) state = app.state === "created" ? ContainerState.Created : ContainerState.Unknown;
  else state = record.startedAt ? ContainerState.Running : ContainerState.Created;
  const exited = state === ContainerState.Exited;
  const exitCode = exited ? (app.exitCode ?? 255) : 0;
  const startedAt = toBig(record?.startedAt) ?? (record ? 0n : (app.startedAt ?? 0n));
  return {
    id,
    podSandboxId: pod.uuid,
    metadata: { name: a[Reserved.ContainerName] ?? app.name, attempt: Number.parseInt(a[Reserved.ContainerAttempt] ?? "0", 10) || 0 },
    image: { image: a[Reserved.ImageName] ?? app.imageId, annotations: {} },
    imageRef: app.imageId,
    imageId: app.imageId,
    state,
    createdAt: toBig(record?.createdAt) ?? app.createdAt ?? 0n,
    startedAt: exited && startedAt === 0n ? 0n : startedAt,
    finishedAt: exited ? (toBig(record?.finishedAt) ?? app.finishedAt ?? 0n) : 0n,
    exitCode,
    reason: exited ? (app.exitCode === undefined ? "Unknown" : exitCode === 0 ? "Completed" : "Error") : "",
    message: exited && !isRunning(pod) && app.state !== "exited" ? "the pod sandbox stopped" : "",
    labels: { ...app.userLabels },
    annotations: withoutReserved(a),
    mounts: app.mounts.map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readOnly,
      selinuxRelabel: false,
      propagation: "PRIVATE" as const,
    })),
    logPath: record?.criLogPath ?? "",
    resources: loadResources(record?.resources),
  };
}
