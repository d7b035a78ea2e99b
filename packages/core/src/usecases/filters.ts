import type { StringMap } from "../model/common";
import type { Container, ContainerFilter } from "../model/container";
import type { PodSandbox, PodSandboxFilter } from "../model/pod-sandbox";

/** Every key of the selector is present in `labels` with the same value (CRI label selectors are equality-only). */
export function matchesLabels(labels: StringMap, selector: StringMap | undefined): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/** CRI ids may be abbreviated, as crictl does: a filter id matches every id it is a prefix of. */
export function matchesId(id: string, filter: string | undefined): boolean {
  return !filter || id.startsWith(filter);
}

export function filterSandboxes(all: readonly PodSandbox[], f: PodSandboxFilter | undefined): PodSandbox[] {
  return all.filter(
    (s) => matchesId(s.id, f?.id) && (f?.state === undefined || s.state === f.state) && matchesLabels(s.labels, f?.labelSelector),
  );
}

export function filterContainers(all: readonly Container[], f: ContainerFilter | undefined): Container[] {
  return all.filter(
    (c) =>
      matchesId(c.id, f?.id) &&
      matchesId(c.podSandboxId, f?.podSandboxId) &&
      (f?.state === undefined || c.state === f.state) &&
      matchesLabels(c.labels, f?.labelSelector),
  );
}

/**
 * The object a single-object call (status, start, stop, remove) names: exact ids only. Prefixes are for
 * List filters; here they would be dangerous (`<pod>:0-app` is a prefix of `<pod>:0-app-sidecar`).
 */
export function findById<T extends { readonly id: string }>(all: readonly T[], id: string): T | undefined {
  return all.find((x) => x.id === id);
}
