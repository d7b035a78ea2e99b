import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { parsePodList, Reserved } from "@rktlet/adapters-rkt";
import { rktSimPath } from "@rktlet/testkit";
import { allowedContainerStates, allowedPodStates, type ContainerFacts, type PodFacts, type Step, seeded } from "./crash-ledger";
import { call, type Daemon, referenceClients, rktDaemonFlags, startDaemon, stopDaemon, waitForStart } from "./daemon-helpers";

/**
 * kill -9 of the daemon at random points while 20 pod lifecycles run side by side; then a new daemon must
 * show every acknowledged pod and container with its state and metadata, show (not hide) what was being
 * created, keep every log line exactly once, and, once the pods are removed through the CRI, leave no
 * unit, process or file behind. Several rounds with different kill points; RKTLET_CRASH_ROUNDS and
 * RKTLET_CRASH_SEED replay or extend a run.
 */
const ROUNDS = Number(process.env.RKTLET_CRASH_ROUNDS ?? 4);
const SEED = Number(process.env.RKTLET_CRASH_SEED ?? 20261129);
const LIFECYCLES = 20;

let dir: string;
let daemon: Daemon | undefined;
/** Set just before the kill: from then on a failed call is the kill's doing, not a refusal. */
let killing = false;
/** Acknowledged calls so far in this round: the kill comes after a random number of them. */
let acks = 0;
const flags = () => [...rktDaemonFlags(dir, rktSimPath()), "--log-level=info"];
const unitsDir = () => join(dir, "s", "units");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rkx-"));
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  const units = new ProcessUnitManager({ stateDir: unitsDir() });
  for (const u of await units.list()) await units.stop(u.name, 3000);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

type Clients = ReturnType<typeof referenceClients>;

async function startNewDaemon(): Promise<Clients> {
  daemon = startDaemon(flags());
  await waitForStart(daemon, 30_000);
  return referenceClients(join(dir, "cri.sock"));
}

/** Records a call as sent, and as acknowledged once answered; returns undefined if the daemon died meanwhile. */
async function step<T>(set: (s: Step) => void, work: () => Promise<T>): Promise<T | undefined> {
  set("sent");
  try {
    const r = await work();
    set("acked");
    acks++;
    return r;
  } catch (err) {
    if (!killing) throw err; // a live daemon refused: a bug
    return undefined;
  }
}

const TICKER = "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.2; done";

/** One pod's life, cut short wherever the kill lands. `fate` picks how far it goes. */
async function lifecycle(c: Clients, pod: PodFacts, fate: number, pause: () => Promise<void>): Promise<void> {
  const config = {
    metadata: { name: pod.name, uid: `uid-${pod.name}`, namespace: "crash", attempt: 0 },
    log_directory: join(dir, "logs", pod.name),
    labels: pod.labels,
    annotations: pod.annotations,
  };
  const run = await step(
    (s) => (pod.run = s),
    () => call(c.runtime, "RunPodSandbox", { config }),
  );
  if (!run) return;
  const podId = run.pod_sandbox_id as string;
  pod.id = podId;
  for (const ctr of pod.containers) {
    await pause();
    const created = await step(
      (s) => (ctr.create = s),
      () =>
        call(c.runtime, "CreateContainer", {
          pod_sandbox_id: podId,
          config: {
            metadata: { name: ctr.name, attempt: 0 },
            image: { image: "busybox" },
            command: ["sh", "-c", ctr.ticker ? TICKER : "sleep 3600"],
            log_path: `${ctr.name}.log`,
            labels: { container: ctr.name },
            annotations: { "example.com/container": `${pod.name}/${ctr.name}` },
          },
          sandbox_config: config,
        }),
    );
    if (!created) return;
    const id = created.container_id as string;
    ctr.id = id;
    await pause();
    if (
      !(await step(
        (s) => (ctr.start = s),
        () => call(c.runtime, "StartContainer", { container_id: id }),
      ))
    )
      return;
  }
  await pause();
  const sleeper = pod.containers[1] as ContainerFacts;
  if (fate < 0.3) return; // keeps running
  if (fate < 0.55) {
    if (
      !(await step(
        (s) => (sleeper.stop = s),
        () => call(c.runtime, "StopContainer", { container_id: sleeper.id, timeout: 1 }),
      ))
    )
      return;
    await step(
      (s) => (sleeper.remove = s),
      () => call(c.runtime, "RemoveContainer", { container_id: sleeper.id }),
    );
    return;
  }
  if (
    !(await step(
      (s) => (pod.stop = s),
      () => call(c.runtime, "StopPodSandbox", { pod_sandbox_id: podId }),
    ))
  )
    return;
  if (fate < 0.8) return;
  await pause();
  await step(
    (s) => (pod.remove = s),
    () => call(c.runtime, "RemovePodSandbox", { pod_sandbox_id: podId }),
  );
}

type ListedPod = {
  id: string;
  state: string;
  metadata: { name: string; uid: string; namespace: string };
  labels: object;
  annotations: object;
};
type ListedContainer = {
  id: string;
  pod_sandbox_id: string;
  state: string;
  metadata: { name: string };
  labels: object;
  annotations: object;
};

/** Processes of this test's pods: anything (but the daemon) whose command line or working directory is in `dir`. */
function podProcesses(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!pid || pid === process.pid || pid === daemon?.proc.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {}
      if (cmdline.includes(dir) || cwd.startsWith(dir)) out.push(pid);
    } catch {}
  }
  return out;
}

/** rkt's own view, straight from the simulator: the pods the CRI must not hide. */
async function rktPods() {
  const r = await promisify(execFile)(rktSimPath(), ["list", "--debug=false", `--dir=${join(dir, "d")}`, "--format=json"], {
    timeout: 30_000,
  });
  return parsePodList(r.stdout);
}

async function waitUntil(ok: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return ok();
}

/** The tick numbers in a container's CRI log, which must run 1, 2, 3… with no gap and no repeat. */
function ticks(path: string): number[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => Number(/^\S+ stdout F tick-(\d+)$/.exec(l)?.[1] ?? Number.NaN));
}

test(`${ROUNDS} rounds: SIGKILL at a random point of ${LIFECYCLES} concurrent pod lifecycles loses nothing and leaks nothing`, async () => {
  let c = await startNewDaemon();
  await call(c.image, "PullImage", { image: { image: "busybox" } });
  const random = seeded(SEED);
  for (let round = 0; round < ROUNDS; round++) {
    const where = `round ${round} (seed ${SEED})`;
    const pods: PodFacts[] = Array.from({ length: LIFECYCLES }, (_, i) => ({
      name: `r${round}-p${i}`,
      labels: { round: String(round), index: String(i) },
      annotations: { "example.com/owner": `lifecycle-${i}` },
      containers: [
        { name: "ticker", ticker: true },
        { name: "sleeper", ticker: false },
      ],
    }));
    const fates = pods.map(() => random());
    const pauses = pods.map(() => random() * 150);
    // about 7 calls per lifecycle: kill anywhere from the first pods' creation to the last removals
    const killAfterAcks = Math.floor(random() * LIFECYCLES * 7);
    const killDelayMs = random() * 100;
    acks = 0;
    let finished = 0;
    const running = pods.map((p, i) =>
      lifecycle(c, p, fates[i] as number, () => new Promise((r) => setTimeout(r, pauses[i]))).finally(() => finished++),
    );
    await waitUntil(() => acks >= killAfterAcks || finished === LIFECYCLES, 120_000);
    await new Promise((r) => setTimeout(r, killDelayMs));
    killing = true;
    await stopDaemon(daemon as Daemon, "SIGKILL");
    await Promise.all(running);
    c.close();
    const acked = pods.filter((p) => p.run === "acked").length;

    c = await startNewDaemon();
    killing = false;
    // settle: what was being created when the daemon died finishes (or fails) on its own
    await new Promise((r) => setTimeout(r, 1500));
    const listed = (await call(c.runtime, "ListPodSandbox", {})).items as ListedPod[];
    const containers = (await call(c.runtime, "ListContainers", {})).containers as ListedContainer[];
    const byName = new Map(listed.map((p) => [p.metadata.name, p]));

    for (const pod of pods) {
      const want = allowedPodStates(pod);
      const got = byName.get(pod.name);
      const facts = `${where}: pod ${pod.name} ${JSON.stringify(pod)}`;
      if (want.listed === "yes") expect({ facts, listed: got !== undefined }).toEqual({ facts, listed: true });
      if (want.listed === "no") expect({ facts, listed: got !== undefined }).toEqual({ facts, listed: false });
      if (!got) continue;
      if (pod.id) expect({ facts, id: got.id }).toEqual({ facts, id: pod.id });
      expect({ facts, state: want.states.includes(got.state) }).toEqual({ facts, state: true });
      expect(got.metadata).toMatchObject({ name: pod.name, uid: `uid-${pod.name}`, namespace: "crash" });
      expect(got.labels).toEqual(pod.labels);
      expect(got.annotations).toEqual(pod.annotations);
      for (const ctr of pod.containers) {
        const cw = allowedContainerStates(pod, ctr);
        const cg = containers.find((x) => x.pod_sandbox_id === got.id && x.metadata.name === ctr.name);
        const cfacts = `${facts} container ${ctr.name}`;
        if (cw.listed === "yes") expect({ cfacts, listed: cg !== undefined }).toEqual({ cfacts, listed: true });
        if (cw.listed === "no") expect({ cfacts, listed: cg !== undefined }).toEqual({ cfacts, listed: false });
        if (!cg) continue;
        if (ctr.id) expect({ cfacts, id: cg.id }).toEqual({ cfacts, id: ctr.id });
        expect({ cfacts, state: cg.state, allowed: cw.states.includes(cg.state) }).toMatchObject({ cfacts, allowed: true });
        expect(cg.labels).toEqual({ container: ctr.name });
        expect(cg.annotations).toEqual({ "example.com/container": `${pod.name}/${ctr.name}` });
      }
    }
    // nothing the CRI does not show: every rkt pod is listed (pods mid-creation included, so kubelet can reap them)
    const rkt = await rktPods();
    expect(rkt.map((p) => p.uuid).sort()).toEqual(listed.map((p) => p.id).sort());
    // every unit belongs to a pod rkt knows
    const podUnits = new Set(rkt.map((p) => `${p.userAnnotations[Reserved.UnitName]}.service`));
    const units = await new ProcessUnitManager({ stateDir: unitsDir() }).list();
    expect({ where, strays: units.map((u) => u.name).filter((n) => !podUnits.has(n)) }).toEqual({ where, strays: [] });

    // logs: the tickers kept writing with no daemon; every line once, in order
    const tickers = containers.filter((x) => x.metadata.name === "ticker" && x.state !== "CONTAINER_CREATED");
    const logOk = await waitUntil(async () => {
      for (const t of tickers) {
        const s = (await call(c.runtime, "ContainerStatus", { container_id: t.id })).status as { log_path: string; state: string };
        const n = ticks(s.log_path);
        if (n.length === 0 || n.some((v, i) => v !== i + 1)) return false;
      }
      return true;
    }, 10_000);
    if (!logOk) {
      const bad: Record<string, number[]> = {};
      for (const t of tickers) {
        const s = (await call(c.runtime, "ContainerStatus", { container_id: t.id })).status as { log_path: string };
        bad[t.id] = ticks(s.log_path).slice(0, 50);
      }
      expect({ where, bad }).toEqual({ where, bad: {} });
    }

    // take everything down through the CRI; nothing may be left
    await Promise.all(
      listed.map(async (p) => {
        await call(c.runtime, "StopPodSandbox", { pod_sandbox_id: p.id });
        await call(c.runtime, "RemovePodSandbox", { pod_sandbox_id: p.id });
      }),
    );
    expect((await call(c.runtime, "ListPodSandbox", {})).items).toEqual([]);
    expect((await call(c.runtime, "ListContainers", {})).containers).toEqual([]);
    expect(await rktPods()).toEqual([]);
    const leftUnits = await waitUntil(async () => (await new ProcessUnitManager({ stateDir: unitsDir() }).list()).length === 0, 5000);
    expect({ where, units: leftUnits ? [] : (await new ProcessUnitManager({ stateDir: unitsDir() }).list()).map((u) => u.name) }).toEqual({
      where,
      units: [],
    });
    const procsGone = await waitUntil(() => podProcesses().length === 0, 10_000);
    expect({ where, processes: procsGone ? [] : podProcesses() }).toEqual({ where, processes: [] });
    // state files included: a write cut short by the kill leaves no temporary file
    for (const sub of [join("s", "pods"), join("s", "logs", "raw"), join("s", "containers"), join("s", "logs", "progress")]) {
      const path = join(dir, sub);
      expect({ where, sub, files: existsSync(path) ? readdirSync(path) : [] }).toEqual({ where, sub, files: [] });
    }
    console.log(`${where}: killed after ${acks} acknowledged calls (${acked}/${LIFECYCLES} pods created); all checks passed`);
  }
  c.close();
  await stopDaemon(daemon as Daemon);
}, 600_000);

test("a pod removed by rkt while no daemon ran (as a kill between `rkt rm` and the unit's reset leaves it) loses its unit and files at the next start", async () => {
  let c = await startNewDaemon();
  await call(c.image, "PullImage", { image: { image: "busybox" } });
  const config = { metadata: { name: "gone", uid: "uid-gone", namespace: "crash", attempt: 0 }, log_directory: join(dir, "logs", "gone") };
  const podId = (await call(c.runtime, "RunPodSandbox", { config })).pod_sandbox_id as string;
  c.close();
  await stopDaemon(daemon as Daemon, "SIGKILL");
  const rkt = (sub: string, ...args: string[]) =>
    promisify(execFile)(rktSimPath(), [sub, "--debug=false", `--dir=${join(dir, "d")}`, ...args], { timeout: 30_000 });
  await rkt("stop", podId);
  await rkt("status", "--wait=30s", podId);
  await rkt("rm", podId);
  const unitsBefore = await new ProcessUnitManager({ stateDir: unitsDir() }).list();
  expect(unitsBefore).toHaveLength(1);

  c = await startNewDaemon();
  expect(await waitUntil(async () => (await new ProcessUnitManager({ stateDir: unitsDir() }).list()).length === 0, 10_000)).toBe(true);
  for (const sub of [join("s", "pods"), join("s", "logs", "raw")]) expect(readdirSync(join(dir, sub))).toEqual([]);
  expect((await call(c.runtime, "ListPodSandbox", {})).items).toEqual([]);
  expect(daemon?.output()).toContain("forgetting an ended pod unit whose pod is gone");
  c.close();
}, 120_000);
