import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import type { UnitSpec } from "@rktlet/core";

let dir: string;
let units: ProcessUnitManager;
const started: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "units-"));
  units = new ProcessUnitManager({ stateDir: join(dir, "state"), pollMs: 10 });
});
afterEach(async () => {
  for (const name of started.splice(0)) await units.stop(name, 100).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function spec(name: string, script: string, env: Record<string, string> = {}): UnitSpec {
  started.push(name);
  return { name, description: name, argv: ["/bin/sh", "-c", script], env, slice: "", workingDirectory: dir };
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("condition not met in time");
}

describe("ProcessUnitManager", () => {
  test("a unit runs detached in its own session, with its environment, output to its own file", async () => {
    const s = await units.start(
      spec("a.service", 'echo "hello $GREETING"; echo oops >&2; ps -o sid= -p $$ > sid; exec sleep 30', { GREETING: "unit" }),
    );
    expect(s.state).toBe("active");
    expect(s.mainPid).toBeGreaterThan(0);
    // the shell creates `sid` before ps has written to it: wait for the content, not the file
    await until(
      async () =>
        existsSync(join(dir, "sid")) &&
        readFileSync(join(dir, "sid"), "utf8").trim() !== "" &&
        (await units.outputTail("a.service")).includes("oops"),
    );
    expect(await units.outputTail("a.service")).toBe("hello unit\noops\n");
    // setsid: the shim leads a session of its own, so signals to the daemon's group never reach the unit
    expect(Number(readFileSync(join(dir, "sid"), "utf8").trim())).toBe(s.mainPid);
  });

  test("a second manager (a restarted daemon) finds the unit again, and stops it with SIGTERM", async () => {
    // the trap must be in place before the stop, or a busy machine delivers SIGTERM to a shell without it
    await units.start(spec("b.service", `trap 'exit 7' TERM; : > ${join(dir, "b-trapped")}; while :; do sleep 0.05; done`));
    await until(async () => existsSync(join(dir, "b-trapped")));
    const again = new ProcessUnitManager({ stateDir: join(dir, "state"), pollMs: 10 });
    expect((await again.status("b.service"))?.state).toBe("active");
    expect((await again.list()).map((u) => u.name)).toEqual(["b.service"]);
    await again.stop("b.service", 5000);
    const s = await again.status("b.service");
    expect(s).toMatchObject({ state: "failed", exitCode: 7, result: "exit-code" });
  });

  test("exit status is recorded: success is inactive, a failure is failed with its code", async () => {
    await units.start(spec("ok.service", "exit 0"));
    await units.start(spec("bad.service", "echo broken >&2; exit 3"));
    await until(
      async () => (await units.status("ok.service"))?.state === "inactive" && (await units.status("bad.service"))?.state === "failed",
    );
    expect(await units.status("ok.service")).toMatchObject({ exitCode: 0, result: "success" });
    expect(await units.status("bad.service")).toMatchObject({ exitCode: 3, result: "exit-code" });
    expect(await units.outputTail("bad.service")).toContain("broken");
  });

  test("a command that ignores SIGTERM is killed after the grace period, with everything it started", async () => {
    await units.start(
      spec("stubborn.service", "trap '' TERM; sh -c 'trap \"\" TERM; sleep 60' & echo $! > child; while :; do sleep 0.05; done"),
    );
    await until(async () => existsSync(join(dir, "child")) && readFileSync(join(dir, "child"), "utf8").trim() !== "");
    const child = Number(readFileSync(join(dir, "child"), "utf8"));
    const t0 = Date.now();
    await units.stop("stubborn.service", 300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect((await units.status("stubborn.service"))?.state).toBe("failed");
    await until(async () => {
      try {
        process.kill(child, 0);
        return false;
      } catch {
        return true;
      }
    });
  });

  test("a recycled pid is not taken for the unit", async () => {
    await units.start(spec("c.service", "sleep 30"));
    const recordPath = join(dir, "state", "c.service.json");
    const record = JSON.parse(readFileSync(recordPath, "utf8")) as { startTime: string };
    writeFileSync(recordPath, JSON.stringify({ ...record, startTime: "1" }));
    expect((await units.status("c.service"))?.state).not.toBe("active");
    writeFileSync(recordPath, JSON.stringify(record));
    expect((await units.status("c.service"))?.state).toBe("active");
  });

  test("names must be safe, a running name cannot start twice, reset forgets only ended units", async () => {
    await expect(units.start(spec("../evil", "true"))).rejects.toThrow(/not a safe unit name/);
    await units.start(spec("d.service", "sleep 30"));
    await expect(units.start(spec("d.service", "sleep 30"))).rejects.toThrow(/already running/);
    await units.reset("d.service");
    expect((await units.status("d.service"))?.state).toBe("active");
    await units.stop("d.service", 1000);
    await units.reset("d.service");
    expect(await units.status("d.service")).toBeUndefined();
    expect(await units.list()).toEqual([]);
  });
});
