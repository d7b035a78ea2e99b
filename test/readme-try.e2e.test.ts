import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import {
  BIN,
  call,
  type Daemon,
  referenceClients,
  startDaemon,
  stopDaemon,
  waitForStart,
} from "../packages/cri-server/test/daemon-helpers";

/**
 * The README's "Try it" steps, as written there: the doctor, each daemon command line, and the crictl
 * session (done with a reference-proto client and the same example files). If the README changes a flag
 * or a step stops working, this fails.
 */
const ROOT = join(__dirname, "..");
const block = /<!-- try:start -->\s*```sh\n([\s\S]*?)```\s*<!-- try:end -->/.exec(readFileSync(join(ROOT, "README.md"), "utf8"))?.[1] ?? "";
/** The block's commands, with `\` continuations joined and comments dropped. */
const commands = block
  .replace(/\\\n\s*/g, "")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rktlet-try-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A README argv with its paths moved into this test's directory. */
const localise = (args: string[]) => args.map((a) => a.replaceAll("/tmp/rktlet-try", dir).replace('"$PWD', ROOT).replace(/"$/, ""));
const rktletArgs = (line: string) => localise(line.split(/\s+/).slice(2));
const example = (name: string) =>
  JSON.parse(readFileSync(join(ROOT, "deploy", "examples", name), "utf8").replaceAll("/tmp/rktlet-try", dir)) as Record<string, unknown>;

test("the block has the doctor, two daemon command lines and a crictl session over the example files", () => {
  expect(commands.filter((c) => c.startsWith("npx rktlet"))).toHaveLength(3);
  expect(commands).toContain("crictl pull busybox");
  expect(commands.some((c) => c.includes("crictl runp deploy/examples/pod.json"))).toBe(true);
});

test("`npx rktlet doctor` explains what this host lacks and exits non-zero (no rkt at /usr/bin/rkt here)", () => {
  const line = commands.find((c) => c.startsWith("npx rktlet doctor")) as string;
  const r = spawnSync(process.execPath, [BIN, ...rktletArgs(line)], { encoding: "utf8", timeout: 120_000 });
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^FAIL {2}rkt binary: .*fix: .*--rkt-path/m);
  expect(r.stdout).toMatch(/pods cannot run until the FAIL lines are fixed/);
}, 130_000);

describe.each(["fake", "rkt-sim"])("the daemon command for the %s backend serves the crictl steps", (kind) => {
  let daemon: Daemon | undefined;
  afterAll(async () => {
    if (daemon) await stopDaemon(daemon, "SIGTERM");
    const units = new ProcessUnitManager({ stateDir: join(dir, "state", "units") });
    for (const u of await units.list()) await units.stop(u.name, 3000);
  }, 30_000);

  test("version, pull, runp, create, start, ps, logs, exec, stopp, rmp", async () => {
    const line = commands.find(
      (c) => c.startsWith("npx rktlet --") && (kind === "fake" ? c.includes("--backend fake") : c.includes("rkt-sim")),
    );
    expect(line).toBeDefined();
    daemon = startDaemon(rktletArgs(line as string));
    await waitForStart(daemon, 30_000);
    const c = referenceClients(join(dir, "rktlet.sock"));
    try {
      expect((await call(c.runtime, "Version", {})).runtime_api_version).toBe("v1");
      await call(c.image, "PullImage", { image: { image: "busybox" } });
      const pod = example("pod.json");
      const podId = (await call(c.runtime, "RunPodSandbox", { config: pod })).pod_sandbox_id as string;
      const ctr = (
        await call(c.runtime, "CreateContainer", { pod_sandbox_id: podId, config: example("container.json"), sandbox_config: pod })
      ).container_id as string;
      await call(c.runtime, "StartContainer", { container_id: ctr });
      const ps = (await call(c.runtime, "ListContainers", { filter: { state: { state: "CONTAINER_RUNNING" } } })).containers as {
        id: string;
      }[];
      expect(ps.map((x) => x.id)).toEqual([ctr]);
      const exec = await call(c.runtime, "ExecSync", { container_id: ctr, cmd: ["echo", "hi"], timeout: 10 });
      expect(exec.exit_code).toBe(0);
      if (kind === "rkt-sim") {
        // crictl logs reads the CRI log file; the simulator really ran the command
        expect(Buffer.from(exec.stdout as Buffer).toString()).toBe("hi\n");
        const logPath = ((await call(c.runtime, "ContainerStatus", { container_id: ctr })).status as { log_path: string }).log_path;
        const deadline = Date.now() + 10_000;
        let log = "";
        while (Date.now() < deadline && !log.includes("hello from rktlet")) {
          await new Promise((r) => setTimeout(r, 100));
          log = (() => {
            try {
              return readFileSync(logPath, "utf8");
            } catch {
              return "";
            }
          })();
        }
        expect(log).toMatch(/^\S+ stdout F hello from rktlet$/m);
      }
      await call(c.runtime, "StopPodSandbox", { pod_sandbox_id: podId });
      await call(c.runtime, "RemovePodSandbox", { pod_sandbox_id: podId });
      expect((await call(c.runtime, "ListPodSandbox", {})).items).toEqual([]);
    } finally {
      c.close();
    }
    await stopDaemon(daemon, "SIGTERM");
    expect(await daemon.exited).toBe(0);
    daemon = undefined;
  }, 90_000);
});
