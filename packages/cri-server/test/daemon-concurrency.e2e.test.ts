import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { call, codeOf, podConfig, useRktDaemon } from "./daemon-helpers";

/**
 * Races kubelet can produce, through the daemon on the rkt simulator: the same pod asked for twice, containers
 * created and removed side by side in one pod, a stop racing a remove.
 */
const d = useRktDaemon("rkcc-");
const c = () => d.clients();

beforeAll(async () => {
  await call(c().image, "PullImage", { image: { image: "busybox" } });
}, 30_000);

type Pod = { id: string; metadata: { name: string; uid: string; namespace: string; attempt: number } };
type Ctr = { id: string; pod_sandbox_id: string; metadata: { name: string; attempt: number } };
const pods = async () => (await call(c().runtime, "ListPodSandbox", {})).items as Pod[];
const containersOf = async (podId: string) =>
  (await call(c().runtime, "ListContainers", { filter: { pod_sandbox_id: podId } })).containers as Ctr[];

const units = () => new ProcessUnitManager({ stateDir: join(d.dir(), "s", "units") });

const runPod = (name: string) =>
  call(c().runtime, "RunPodSandbox", { config: podConfig(d.dir(), name) }).then((r) => r.pod_sandbox_id as string);

const createContainer = (podId: string, name: string, attempt = 0) =>
  call(c().runtime, "CreateContainer", {
    pod_sandbox_id: podId,
    config: { metadata: { name, attempt }, image: { image: "busybox" }, command: ["sleep", "3600"], log_path: `${name}-${attempt}.log` },
  }).then((r) => r.container_id as string);

test("eight RunPodSandbox calls with the same metadata create exactly one pod; the others get ALREADY_EXISTS", async () => {
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => runPod("twin")));
  const ok = results.filter((r): r is PromiseFulfilledResult<string> => r.status === "fulfilled");
  expect(ok).toHaveLength(1);
  const codes = await Promise.all(results.filter((r) => r.status === "rejected").map((r) => codeOf(Promise.reject(r.reason))));
  expect(codes).toEqual(Array(7).fill("ALREADY_EXISTS"));
  const twins = (await pods()).filter((p) => p.metadata.name === "twin");
  expect(twins.map((p) => p.id)).toEqual([ok[0]?.value]);
  // a new attempt is a different name: kubelet's way of recreating a pod
  const again = await call(c().runtime, "RunPodSandbox", {
    config: podConfig(d.dir(), "twin", { metadata: { name: "twin", uid: "uid-twin", namespace: "default", attempt: 1 } }),
  });
  expect(again.pod_sandbox_id).not.toBe(ok[0]?.value);
}, 60_000);

test("containers created and removed side by side in one pod keep (name, attempt) unique", async () => {
  const podId = await runPod("busy");
  const first = await Promise.all(["a", "b", "c"].map((n) => createContainer(podId, n)));
  // each name asked for three times while the first copies are removed
  const work = [
    ...["a", "b", "c", "d"].flatMap((n) => [0, 1, 2].map(() => createContainer(podId, n, 1))),
    ...first.map((id) => call(c().runtime, "RemoveContainer", { container_id: id })),
  ];
  const results = await Promise.allSettled(work);
  const rejected = results.filter((r) => r.status === "rejected");
  const codes = await Promise.all(rejected.map((r) => codeOf(Promise.reject(r.reason))));
  expect(new Set(codes)).toEqual(new Set(["ALREADY_EXISTS"]));
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4 + 3); // one create per name, three removes
  const left = await containersOf(podId);
  expect(left.map((x) => `${x.metadata.name}/${x.metadata.attempt}`).sort()).toEqual(["a/1", "b/1", "c/1", "d/1"]);
  for (const id of first) expect(await codeOf(call(c().runtime, "ContainerStatus", { container_id: id }))).toBe("NOT_FOUND");
}, 60_000);

test("a remove racing creates of the very same (name, attempt) leaves at most one such container, and the CRI agrees on it", async () => {
  const podId = await runPod("same");
  const first = await createContainer(podId, "x");
  const results = await Promise.allSettled([
    createContainer(podId, "x"),
    call(c().runtime, "RemoveContainer", { container_id: first }),
    createContainer(podId, "x"),
    createContainer(podId, "x"),
  ]);
  const codes = await Promise.all(results.map((r) => (r.status === "fulfilled" ? "OK" : codeOf(Promise.reject(r.reason)))));
  expect(codes[1]).toBe("OK");
  for (const code of [codes[0], codes[2], codes[3]]) expect(["OK", "ALREADY_EXISTS"]).toContain(code);
  const left = (await containersOf(podId)).filter((x) => x.metadata.name === "x" && x.metadata.attempt === 0);
  expect(left.length).toBeLessThanOrEqual(1);
  // a create that answered OK after the remove is the one listed; its status agrees
  const created = results.filter((r, i) => i !== 1 && r.status === "fulfilled").length;
  expect(left.length).toBe(created > 0 ? 1 : 0);
  for (const x of left)
    expect(((await call(c().runtime, "ContainerStatus", { container_id: x.id })).status as { id: string }).id).toBe(x.id);
}, 60_000);

test("StopPodSandbox racing RemovePodSandbox (twice each, with a running container) all succeed and leave nothing", async () => {
  const unitsBefore = (await units().list()).length;
  const podId = await runPod("racer");
  const cid = await createContainer(podId, "app");
  await call(c().runtime, "StartContainer", { container_id: cid });
  const calls = [
    call(c().runtime, "StopPodSandbox", { pod_sandbox_id: podId }),
    call(c().runtime, "RemovePodSandbox", { pod_sandbox_id: podId }),
    call(c().runtime, "StopContainer", { container_id: cid, timeout: 0 }),
    call(c().runtime, "RemoveContainer", { container_id: cid }),
    call(c().runtime, "StopPodSandbox", { pod_sandbox_id: podId }),
    call(c().runtime, "RemovePodSandbox", { pod_sandbox_id: podId }),
  ];
  const codes = await Promise.all(calls.map((p) => codeOf(p)));
  expect(codes).toEqual(Array(6).fill("OK"));
  expect(await codeOf(call(c().runtime, "PodSandboxStatus", { pod_sandbox_id: podId }))).toBe("NOT_FOUND");
  expect(await codeOf(call(c().runtime, "ContainerStatus", { container_id: cid }))).toBe("NOT_FOUND");
  expect((await pods()).map((p) => p.id)).not.toContain(podId);
  // its unit is gone too: the units left are those of the other tests' pods
  expect((await units().list()).length).toBe(unitsBefore);
}, 60_000);
