import { createHash } from "node:crypto";
import type { ContainerMetadata } from "@rktlet/core";
import { invalidArgument } from "@rktlet/core";

/**
 * User annotations rktlet reserves on rkt pods and apps to carry CRI facts rkt has no field for. They are
 * removed from the annotations CRI callers see, and a caller may not set them.
 */
export const RESERVED_PREFIX = "k8s.io/reserved/";
export const Reserved = {
  PodUid: "k8s.io/reserved/pod-uid",
  PodName: "k8s.io/reserved/pod-name",
  PodNamespace: "k8s.io/reserved/pod-namespace",
  PodAttempt: "k8s.io/reserved/pod-attempt",
  /** Nanosecond creation time: rkt's own pod times are whole seconds. */
  PodCreatedAt: "k8s.io/reserved/pod-created-at",
  /** The unit that runs `rkt app sandbox`, so stop and remove can find it again. */
  UnitName: "k8s.io/reserved/unit-name",
  /** kubelet's log directory for the pod (rkt writes its raw logs elsewhere). */
  LogDirectory: "k8s.io/reserved/log-directory",
  NamespaceOptions: "k8s.io/reserved/namespace-options",
  RuntimeHandler: "k8s.io/reserved/runtime-handler",
  /** Set on privileged pods: rkt's list does not show `--insecure-options=all-run`. */
  Privileged: "k8s.io/reserved/privileged",
  ContainerName: "k8s.io/reserved/container-name",
  ContainerAttempt: "k8s.io/reserved/container-attempt",
  /** The image as the CRI request spelled it. */
  ImageName: "k8s.io/reserved/image-name",
  /** kubelet's log path for the container, relative to the pod's log directory. */
  LogPath: "k8s.io/reserved/log-path",
} as const;

export function withoutReserved(annotations: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) if (!k.startsWith(RESERVED_PREFIX)) out[k] = v;
  return out;
}

export function refuseReserved(field: string, annotations: Readonly<Record<string, string>>): void {
  for (const k of Object.keys(annotations)) {
    if (k.startsWith(RESERVED_PREFIX)) throw invalidArgument(field, `"${k}": keys under ${RESERVED_PREFIX} are reserved for the runtime`);
  }
}

/**
 * The rkt app name of a container: `<attempt>-<name>` in the ACName alphabet. Names that are not already
 * lowercase ACNames get a short hash of the original, so `Web` and `web` cannot collide (a limitation of
 * the original rktlet).
 */
export function appName(m: ContainerMetadata): string {
  const lowered =
    m.name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "c";
  const exact = lowered === m.name;
  const suffix = exact ? "" : `-${createHash("sha256").update(m.name).digest("hex").slice(0, 8)}`;
  return `${m.attempt}-${lowered.slice(0, 100)}${suffix}`;
}

/** Container id = `<pod uuid>:<app name>`, as the original rktlet formed it. */
export function containerId(podUuid: string, app: string): string {
  return `${podUuid}:${app}`;
}

export function parseContainerId(id: string): { podUuid: string; app: string } | undefined {
  const i = id.indexOf(":");
  if (i <= 0 || i === id.length - 1) return undefined;
  return { podUuid: id.slice(0, i), app: id.slice(i + 1) };
}

/** rkt pod uuids are lowercase uuid v4 strings. */
export const POD_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
