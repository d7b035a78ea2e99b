/**
 * The pods and containers the bench creates through CRI, as kubelet would: RunPodSandbox, then for each
 * container CreateContainer and StartContainer, one container after the other.
 */
import { join } from "node:path";
import { type ContainerConfig, ContainerState, type PodSandboxConfig } from "@rktlet/cri-api";
import { type CriClients, criContainerConfig, criPodConfig } from "@rktlet/testkit";
import { timeMs } from "./stats";

export interface BenchPod {
  readonly id: string;
  readonly name: string;
  readonly containerIds: string[];
}

export function podConfig(logRoot: string, name: string): PodSandboxConfig {
  return criPodConfig(name, {
    metadata: { name, uid: `uid-${name}`, namespace: "bench", attempt: 0 },
    logDirectory: join(logRoot, name),
    dnsConfig: undefined,
    portMappings: [],
    annotations: {},
  });
}

export function containerConfig(name: string): ContainerConfig {
  return criContainerConfig(name, { command: ["sleep", "3600"], envs: [], labels: {}, logPath: `${name}.log` });
}

export async function pullImage(c: CriClients, image: string): Promise<string> {
  await c.image.pullImage({
    image: { image, annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
    auth: undefined,
    sandboxConfig: undefined,
  });
  const status = await c.image.imageStatus({
    image: { image, annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
    verbose: false,
  });
  if (!status.image) throw new Error(`image ${image} is not there after pulling it`);
  return status.image.id;
}

export async function runPod(c: CriClients, logRoot: string, name: string): Promise<BenchPod> {
  const { podSandboxId } = await c.runtime.runPodSandbox({ config: podConfig(logRoot, name), runtimeHandler: "" });
  return { id: podSandboxId, name, containerIds: [] };
}

export async function addContainer(c: CriClients, pod: BenchPod, name: string): Promise<string> {
  const { containerId } = await c.runtime.createContainer({
    podSandboxId: pod.id,
    config: containerConfig(name),
    sandboxConfig: undefined,
  });
  await c.runtime.startContainer({ containerId });
  pod.containerIds.push(containerId);
  return containerId;
}

/** Pod start as the bench defines it: RunPodSandbox until the last StartContainer has returned. */
export async function startPod(c: CriClients, logRoot: string, name: string, containers: number): Promise<{ pod: BenchPod; ms: number }> {
  let pod: BenchPod | undefined;
  const ms = await timeMs(async () => {
    pod = await runPod(c, logRoot, name);
    for (let j = 0; j < containers; j++) await addContainer(c, pod, `c${j}`);
  });
  return { pod: pod as BenchPod, ms };
}

/** Checks (outside any timing) that every container of the pod says RUNNING. */
export async function assertRunning(c: CriClients, pod: BenchPod): Promise<void> {
  const { containers } = await c.runtime.listContainers({
    filter: { id: "", podSandboxId: pod.id, state: undefined, labelSelector: {} },
  });
  const running = containers.filter((x) => x.state === ContainerState.CONTAINER_RUNNING).length;
  if (running !== pod.containerIds.length) throw new Error(`pod ${pod.name}: ${running} of ${pod.containerIds.length} containers running`);
}

/** Runs `fn` over `items` with at most `workers` at a time, in order of the items. */
export async function inParallel<T, R>(items: readonly T[], workers: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, worker));
  return out;
}

/** RemovePodSandbox (which stops and removes the containers too) for each pod; returns each removal's latency. */
export async function removePods(c: CriClients, ids: readonly string[], workers: number): Promise<number[]> {
  return inParallel(ids, workers, (id) => timeMs(() => c.runtime.removePodSandbox({ podSandboxId: id })));
}

/** Removes every pod the daemon lists. */
export async function removeAllPods(c: CriClients, workers: number): Promise<number[]> {
  const { items } = await c.runtime.listPodSandbox({ filter: undefined });
  return removePods(
    c,
    items.map((s) => s.id),
    workers,
  );
}
