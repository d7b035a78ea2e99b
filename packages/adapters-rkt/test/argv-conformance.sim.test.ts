import { readdirSync } from "node:fs";
import { FIXTURES, fixture } from "./fixtures";
import { container, pod, type SimEnv, startSimEnv } from "./sim-env";

/**
 * Every rkt command line the backend runs during a full lifecycle has the shape of a recorded real rkt
 * invocation (same subcommand words, same flags, same order), once uuids, app names, paths and ids are
 * replaced by placeholders.
 */
function shape(argv: readonly string[], dataDir: string): string {
  return argv
    .slice(1)
    .map((a) =>
      a
        .replace(dataDir, "D")
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "UUID")
        .replace(/sha512-[0-9a-f]+/g, "ID")
        .replace(/^docker:\/\/.*$/, "docker://IMAGE")
        .replace(/^--app=.*$/, "--app=APP")
        .replace(/^--wait-ready=\d+s$/, "--wait-ready=Ns")
        .replace(/^--wait=\d+s$/, "--wait=Ns"),
    )
    .join(" ");
}

let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv();
}, 60_000);
afterAll(async () => {
  await env.close();
}, 60_000);

test("the backend's rkt command lines match recorded real ones", async () => {
  const seen: string[][] = [];
  const runner = env.backend.runner;
  const argv = runner.argv.bind(runner);
  runner.argv = (sub, args, options) => {
    const a = argv(sub, args, options);
    seen.push(a);
    return a;
  };
  const rt = env.runtime;
  await rt.images.pull("busybox", undefined);
  const podId = await rt.sandboxes.run(pod("argv", env.logDir));
  const id = await rt.containers.create(podId, container("c", "sleep 3600"));
  await rt.containers.start(id);
  await rt.containers.execSync(id, ["/bin/true"], 5);
  await rt.containers.stop(id, 5);
  await rt.containers.remove(id);
  await rt.sandboxes.stop(podId);
  await rt.sandboxes.remove(podId);
  await rt.images.remove("busybox");
  runner.argv = argv;

  const recorded = new Set(
    readdirSync(FIXTURES)
      .filter((n) => n !== "INDEX.md" && n !== "attach-sockets")
      .map((n) => shape(fixture(n).argv, "D")),
  );
  const dataDir = env.backend.context.config.dataDir;
  const ours = [...new Set(seen.map((a) => shape(a, dataDir)))];
  // the two long ones (sandbox, app add) are compared flag by flag in commands.test.ts
  const compared = ours.filter((s) => !/ sandbox | add /.test(s));
  expect(compared.length).toBeGreaterThanOrEqual(10);
  expect(compared.filter((s) => !recorded.has(s))).toEqual([]);
}, 60_000);
