import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { UnitManager, UnitSpec } from "@rktlet/core";

/**
 * One contract for every UnitManager (systemd, the process supervisor, the testkit fake): what rktlet's
 * rkt backend relies on. `runs` says whether the implementation really runs commands (the fake does not).
 */
export interface ContractSubject {
  readonly name: string;
  /** A fresh manager over the same state as the others made by this subject (a "restarted daemon"). */
  make(): UnitManager;
  readonly runs: boolean;
  /** A scratch directory visible to the units' commands. */
  readonly dir: () => string;
  /** Wraps a shell script into the argv the implementation needs (systemd units must notify readiness). */
  readonly command: (script: string) => string[];
  /** Reads unit properties as the manager's owner reports them (systemd: `systemctl show`). */
  readonly properties?: (unit: string, names: readonly string[]) => Promise<Record<string, string>>;
}

/** How an ended unit may look: stopped, failed, or gone (systemd unloads a transient unit that ended cleanly). */
const ENDED = ["inactive", "failed", undefined];

export function unitManagerContract(subject: ContractSubject): void {
  let units: UnitManager;
  const started: string[] = [];
  let seq = 0;
  const name = (what: string) => `rktlet-contract-${process.pid}-${what}-${seq++}.service`;
  const spec = (unit: string, script: string, env: Record<string, string> = {}): UnitSpec => {
    started.push(unit);
    return { name: unit, description: `contract ${unit}`, argv: subject.command(script), env, slice: "", workingDirectory: subject.dir() };
  };

  beforeEach(() => {
    units = subject.make();
  });
  afterEach(async () => {
    for (const u of started.splice(0)) {
      await units.stop(u, 2000).catch(() => undefined);
      await units.reset(u).catch(() => undefined);
    }
  });

  const until = async (check: () => Promise<boolean>, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  describe(`UnitManager contract: ${subject.name}`, () => {
    test("a started unit is active, has a main pid, is listed, and cannot be started twice", async () => {
      const u = name("a");
      const s = await units.start(spec(u, "sleep 30"));
      expect(s).toMatchObject({ name: u, state: "active" });
      expect(s.mainPid).toBeGreaterThan(0);
      expect((await units.list()).map((x) => x.name)).toContain(u);
      await expect(units.start(spec(u, "sleep 30"))).rejects.toMatchObject({ kind: "AlreadyExists" });
    });

    test("stop ends it and is idempotent; reset forgets only ended units; unknown names are no-ops", async () => {
      const u = name("b");
      await units.start(spec(u, "sleep 30"));
      await units.reset(u);
      expect((await units.status(u))?.state).toBe("active");
      await units.stop(u, 5000);
      expect(ENDED).toContain((await units.status(u))?.state);
      await units.stop(u, 5000);
      await units.reset(u);
      expect(await units.status(u)).toBeUndefined();
      const unknown = name("never");
      await units.stop(unknown, 100);
      await units.reset(unknown);
      expect(await units.status(unknown)).toBeUndefined();
    });

    test("unsafe names are refused", async () => {
      await expect(units.start(spec("../../etc/evil.service", "true"))).rejects.toMatchObject({ kind: "InvalidArgument" });
    });

    test("a new manager (a restarted daemon) finds a running unit again and can stop it", async () => {
      const u = name("c");
      await units.start(spec(u, "sleep 30"));
      const again = subject.make();
      expect((await again.status(u))?.state).toBe("active");
      await again.stop(u, 5000);
      expect(ENDED).toContain((await units.status(u))?.state);
    });

    if (!subject.runs) return;

    test("the command really runs, with its environment and working directory", async () => {
      const u = name("env");
      const out = join(subject.dir(), `${u}.out`);
      await units.start(spec(u, `echo "$GREETING from $(pwd)" > ${out}; sleep 30`, { GREETING: "hello" }));
      await until(async () => existsSync(out) && readFileSync(out, "utf8").includes("hello"));
      expect(readFileSync(out, "utf8").trim()).toBe(`hello from ${subject.dir()}`);
    });

    test("exit statuses are kept: success is inactive, a failure is failed with its code", async () => {
      const ok = name("ok");
      const bad = name("bad");
      await units.start(spec(ok, "sleep 0.2; exit 0"));
      await units.start(spec(bad, "sleep 0.2; exit 3"));
      await until(async () => ["inactive", undefined].includes((await units.status(ok))?.state));
      await until(async () => (await units.status(bad))?.state === "failed");
      expect(await units.status(bad)).toMatchObject({ state: "failed", exitCode: 3 });
    });

    test("limits set on a running unit are what its manager reports (managers that own cgroups)", async () => {
      if (!units.setResources || !subject.properties) {
        expect(units.cgroupDriver).toBe("cgroupfs");
        return;
      }
      const u = name("limits");
      await units.start(spec(u, "sleep 30"));
      await units.setResources(u, { memoryMaxBytes: 64n << 20n, cpuWeight: 50n, cpuQuotaPerSecUsec: 250_000n });
      expect(await subject.properties(u, ["MemoryMax", "CPUWeight", "CPUQuotaPerSecUSec"])).toEqual({
        MemoryMax: String(64 << 20),
        CPUWeight: "50",
        CPUQuotaPerSecUSec: "250ms",
      });
    });

    test("a command that ignores SIGTERM is killed once the grace period is over", async () => {
      const u = name("stubborn");
      const trapped = join(subject.dir(), `${u}.trapped`);
      // the trap must be in place before the stop, or a busy machine delivers SIGTERM to a shell without it
      await units.start(spec(u, `trap '' TERM; : > ${trapped}; while :; do sleep 0.05; done`));
      await until(async () => existsSync(trapped));
      const t0 = Date.now();
      await units.stop(u, 500);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
      expect(ENDED).toContain((await units.status(u))?.state);
    });
  });
}
