import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger, UnitActiveState } from "@rktlet/core";
import { FakeUnitManager, ManualClock } from "@rktlet/testkit";
import { Reserved } from "../src/commands/names";
import { paths, type RktContext } from "../src/context";
import { OrphanSweeper } from "../src/orphans";
import type { RktPod } from "../src/parse/pod";

const unit = (n: number) => `rktlet-0000000${n}-0000-4000-8000-000000000000`;
const pod = (unitName: string): RktPod => ({
  uuid: `${unitName.slice(7)}`,
  state: "running",
  networks: [],
  apps: [],
  createdAt: undefined,
  startedAt: undefined,
  userAnnotations: { [Reserved.UnitName]: unitName },
  userLabels: {},
});

let dir: string;
let units: FakeUnitManager;
let clock: ManualClock;
let starting: Set<string>;
let sweeper: OrphanSweeper;
/** What rkt's list says now (the sweep is handed an older copy). */
let currentPods: RktPod[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rko-"));
  units = new FakeUnitManager();
  clock = new ManualClock();
  starting = new Set();
  currentPods = [];
  const snapshot = { pods: async () => currentPods };
  const ctx = { config: { stateDir: dir, readyTimeoutMs: 60_000 }, units, clock, logger: silentLogger, startingUnits: starting, snapshot };
  sweeper = new OrphanSweeper(ctx as unknown as RktContext, starting);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A unit as RunPodSandbox leaves it: the unit, its uuid file and its raw log directory. */
async function podUnit(name: string): Promise<void> {
  const p = paths(dir);
  mkdirSync(p.rawLogDir(name), { recursive: true });
  mkdirSync(p.uuidDir, { recursive: true });
  writeFileSync(p.uuidFile(name), "x");
  await units.start({ name: `${name}.service`, description: "", argv: ["rkt"], env: {}, slice: "", workingDirectory: "/" });
}
const leftFiles = (name: string) => [paths(dir).uuidFile(name), paths(dir).rawLogDir(name)].filter((f) => existsSync(f));
const unitNames = async () => (await units.list()).map((u) => u.name).sort();

test("an ended unit whose pod is gone is forgotten with its files; units with pods are kept", async () => {
  await podUnit(unit(1));
  await podUnit(unit(2));
  await units.stop(`${unit(2)}.service`, 0); // its pod was `rkt rm`ed, then the daemon died
  await sweeper.sweep([pod(unit(1))]);
  expect(await unitNames()).toEqual([`${unit(1)}.service`]);
  expect(leftFiles(unit(2))).toEqual([]);
  expect(leftFiles(unit(1))).toHaveLength(2);
});

test("a running unit without a pod is given the ready timeout, then stopped and forgotten", async () => {
  await podUnit(unit(3));
  await sweeper.sweep([]);
  expect(sweeper.pending).toBe(true);
  clock.advanceSeconds(59);
  await sweeper.sweep([]);
  expect((await units.status(`${unit(3)}.service`))?.state).toBe(UnitActiveState.Active);
  clock.advanceSeconds(2);
  await sweeper.sweep([]);
  expect(await unitNames()).toEqual([]);
  expect(leftFiles(unit(3))).toEqual([]);
  expect(sweeper.pending).toBe(false);
});

test("a running unit whose pod shows up in time is left alone and no longer pending", async () => {
  await podUnit(unit(4));
  await sweeper.sweep([]);
  clock.advanceSeconds(30);
  await sweeper.sweep([pod(unit(4))]);
  expect(sweeper.pending).toBe(false);
  clock.advanceSeconds(120);
  await sweeper.sweep([pod(unit(4))]);
  expect(await unitNames()).toEqual([`${unit(4)}.service`]);
});

test("units being started by RunPodSandbox, and units that are not pod units, are never touched", async () => {
  await podUnit(unit(5));
  await units.stop(`${unit(5)}.service`, 0);
  starting.add(unit(5));
  await units.start({ name: "rktlet-helper.service", description: "", argv: ["x"], env: {}, slice: "", workingDirectory: "/" });
  await units.stop("rktlet-helper.service", 0);
  await sweeper.sweep([]);
  expect(await unitNames()).toEqual([`${unit(5)}.service`, "rktlet-helper.service"]);
  expect(leftFiles(unit(5))).toHaveLength(2);
});

test("files of a unit that no longer exists are removed; stray names are not", async () => {
  const p = paths(dir);
  mkdirSync(p.rawLogDir(unit(6)), { recursive: true });
  mkdirSync(p.uuidDir, { recursive: true });
  writeFileSync(p.uuidFile(unit(6)), "x");
  writeFileSync(join(p.uuidDir, "notes.txt"), "kept");
  await sweeper.sweep([]);
  expect(leftFiles(unit(6))).toEqual([]);
  expect(existsSync(join(p.uuidDir, "notes.txt"))).toBe(true);
});

test("units without this daemon's files (another rktlet's pods, listed by the same systemd) are never touched", async () => {
  await units.start({ name: `${unit(7)}.service`, description: "", argv: ["rkt"], env: {}, slice: "", workingDirectory: "/" });
  await sweeper.sweep([]);
  clock.advanceSeconds(600);
  await sweeper.sweep([]);
  expect((await units.status(`${unit(7)}.service`))?.state).toBe(UnitActiveState.Active);
  await units.stop(`${unit(7)}.service`, 0);
  await sweeper.sweep([]);
  expect(await unitNames()).toEqual([`${unit(7)}.service`]);
});

test("a RunPodSandbox that begins, or even finishes, while a sweep runs keeps its files", async () => {
  const p = paths(dir);
  const list = units.list.bind(units);
  // during the sweep's look at the units: pod 8 begins (its files are made), pod 9 finishes starting
  mkdirSync(p.rawLogDir(unit(9)), { recursive: true });
  units.list = async () => {
    mkdirSync(p.rawLogDir(unit(8)), { recursive: true });
    starting.add(unit(8));
    currentPods = [pod(unit(9))];
    return list();
  };
  await sweeper.sweep([]);
  expect(existsSync(p.rawLogDir(unit(8)))).toBe(true);
  expect(existsSync(p.rawLogDir(unit(9)))).toBe(true);
});
