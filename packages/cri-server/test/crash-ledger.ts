/**
 * What a CRI client was told, for the crash-recovery test: every call is recorded as sent, then as
 * acknowledged when its answer came. After the daemon is killed and restarted, an acknowledged fact must
 * hold; a call that was sent but never answered may have happened or not.
 */
export type Step = "sent" | "acked";

export interface ContainerFacts {
  readonly name: string;
  readonly ticker: boolean;
  id?: string;
  create?: Step;
  start?: Step;
  stop?: Step;
  remove?: Step;
}

export interface PodFacts {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  id?: string;
  run?: Step;
  stop?: Step;
  remove?: Step;
  readonly containers: ContainerFacts[];
}

/** The CRI states a pod may be in after a restart, given what its client was told. */
export function allowedPodStates(p: PodFacts): { listed: "yes" | "no" | "maybe"; states: string[] } {
  if (p.remove === "acked") return { listed: "no", states: [] };
  const mayBeGone = p.remove === "sent";
  if (p.run !== "acked") return { listed: "maybe", states: ["SANDBOX_READY", "SANDBOX_NOTREADY"] };
  if (p.stop === "acked") return { listed: mayBeGone ? "maybe" : "yes", states: ["SANDBOX_NOTREADY"] };
  if (p.stop === "sent" || mayBeGone) return { listed: mayBeGone ? "maybe" : "yes", states: ["SANDBOX_READY", "SANDBOX_NOTREADY"] };
  return { listed: "yes", states: ["SANDBOX_READY"] };
}

/** The CRI states a container may be in after a restart. */
export function allowedContainerStates(p: PodFacts, c: ContainerFacts): { listed: "yes" | "no" | "maybe"; states: string[] } {
  const pod = allowedPodStates(p);
  if (c.remove === "acked" || pod.listed === "no") return { listed: "no", states: [] };
  const mayBeGone = c.remove === "sent" || pod.listed === "maybe";
  const listed = c.create === "acked" && !mayBeGone ? "yes" : "maybe";
  // a pod that is, or may be, stopped takes its containers with it
  const podMayStop = p.stop !== undefined || p.remove !== undefined;
  let states: string[];
  if (c.stop === "acked" || p.stop === "acked") states = ["CONTAINER_EXITED"];
  else if (c.start === "acked")
    states = c.stop === "sent" || podMayStop ? ["CONTAINER_RUNNING", "CONTAINER_EXITED"] : ["CONTAINER_RUNNING"];
  else if (c.start === "sent") states = ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED"];
  else states = podMayStop ? ["CONTAINER_CREATED", "CONTAINER_EXITED"] : ["CONTAINER_CREATED"];
  return { listed, states };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing round can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
