/** Command-line surface: global flags, experiments, usage errors, argument syntax, output formats. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixture, type RunResult, runSim, SimEnv, waitFor } from "./helpers";

let env: SimEnv;
beforeEach(() => {
  env = new SimEnv();
});
afterEach(() => env.cleanup(), 30_000);

function ok(r: RunResult): RunResult {
  if (r.rc !== 0) throw new Error(`rc ${r.rc}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

async function busybox(): Promise<string> {
  return ok(await env.rkt("image", "fetch", "--full=true", "docker://busybox:latest")).stdout.trim();
}

test("global flags may come anywhere before the positionals; the last occurrence wins", async () => {
  const other = join(env.root, "other");
  ok(await env.run(["image", "fetch", `--dir=${other}`, "--insecure-options=image", "docker://busybox:latest"]));
  const after = ok(await env.run(["image", "list", "--format=json", `--dir=${env.dir}`, `--dir=${other}`]));
  expect(JSON.parse(after.stdout)).toHaveLength(1);
  expect(ok(await env.run(["image", `--dir=${other}`, "list", `--dir=${env.dir}`, "--format=json"])).stdout).toBe("null\n");
  // `--debug=false … --debug`: the sandbox runs with debug output.
  const sb = await env.sandbox([], {
    args: ["app", ...env.globals, "--debug", "sandbox", `--uuid-file-save=${join(env.tmp, "dbg.uuid")}`, "--net=host"],
  });
  ok(await env.rkt("status", sb.uuid, "--wait-ready=10s"));
  expect(sb.stderr()).toContain("stage0: Preparing stage1\n");
});

test("version prints rkt's banner", async () => {
  expect(await runSim(["version"])).toEqual({ rc: 0, stdout: fixture("version").stdout, stderr: "" });
});

test("app and attach need their experiments", async () => {
  const bare = { PATH: process.env.PATH };
  const app = await env.run(["app", ...env.globals, "list", "00000000-0000-0000-0000-000000000000"], { env: bare });
  expect(app.rc).toBe(254);
  expect(app.stderr).toMatch(/^Error: unknown command "app" for "rkt"\nRun 'rkt --help' for usage\.\n.*RKT_EXPERIMENT_APP=true/);
  const attach = await env.run(["attach", ...env.globals, "--mode=list", "x"], { env: { ...bare, RKT_EXPERIMENT_APP: "true" } });
  expect(attach.rc).toBe(254);
  expect(attach.stderr).toContain('Error: unknown command "attach" for "rkt"');

  const image = await busybox();
  const sb = await env.readySandbox(["--net=host"]);
  const noAttach = await env.run(
    ["app", ...env.globals, "add", sb.uuid, image, "--name=a", "--stdin=stream", "--exec=/bin/true", "--", "---"],
    {
      env: { ...bare, RKT_EXPERIMENT_APP: "true" },
    },
  );
  expect(noAttach.rc).toBe(254);
  expect(noAttach.stderr).toMatch(/^add: error parsing app image arguments: unknown flag: --stdin\n/);
});

test("unknown flags print cobra's error and the usage", async () => {
  const r = await env.rkt("list", "--bogus");
  expect(r.rc).toBe(254);
  expect(r.stderr).toBe("Error: unknown flag: --bogus\n\n");
  expect(r.stdout).toMatch(/^NAME:\n\tlist - List pods\n\nUSAGE:\n\trkt list\n/);
  expect(r.stdout).toContain("GLOBAL OPTIONS:\n      --debug[=false]\t\t\tprint out more debug information to stderr\n");
  const bad = await env.run(["list", "--debug=false", `--dir=${env.dir}`, "--insecure-options=image,bogus"]);
  expect(bad.rc).toBe(254);
  expect(bad.stderr).toBe('Error: invalid argument "image,bogus" for "--insecure-options" flag: unknown insecure option "bogus"\n\n');
  const dur = await env.rkt("status", "--wait-ready=soon", "00000000-0000-0000-0000-000000000000");
  expect(dur.stderr).toBe('Error: invalid argument "soon" for "--wait-ready" flag: time: invalid duration "soon"\n\n');
});

test("sandbox flag validation: --dns=host mixed with other dns flags, bad --port, unwritable uuid file", async () => {
  const sandbox = (...flags: string[]): Promise<RunResult> => env.run(["app", ...env.globals, "sandbox", ...flags]);
  expect(await sandbox("--dns=host", "--dns=8.8.8.8")).toEqual({
    rc: 254,
    stdout: "",
    stderr: "sandbox: error with dns flags: no other --dns options allowed when --dns=host is passed\n",
  });
  expect((await sandbox("--dns=host", "--dns-search=example.com")).rc).toBe(254);
  const port = await sandbox("--port=http:tcp:80");
  expect(port.rc).toBe(254);
  expect(port.stderr).toMatch(/^Error: invalid argument "http:tcp:80" for "--port" flag/);
  const uuidFile = join(env.root, "missing-dir", "u");
  expect(await sandbox(`--uuid-file-save=${uuidFile}`, "--net=host")).toEqual({
    rc: 254,
    stdout: "",
    stderr: `sandbox: group "rkt" not found, will use default gid when rendering images\nsandbox: error saving pod UUID to file: open ${uuidFile}: no such file or directory\n`,
  });
  expect(ok(await env.rkt("list", "--format=json")).stdout).toBe("null\n");
});

test("the sandbox records its flags: hostname, dns, ports, annotations", async () => {
  const sb = await env.readySandbox([
    "--hostname=pod-b",
    "--dns=10.96.0.10",
    "--dns-search=svc.local",
    "--dns-opt=ndots:5",
    "--port=tcp-80-18080:tcp:80:0.0.0.0:18080",
    "--annotation=a=b",
    "--user-annotation=k=v=w",
  ]);
  const rec = JSON.parse(readFileSync(join(env.dir, "pods", "run", sb.uuid, "pod.json"), "utf8")) as Record<string, unknown>;
  expect(rec).toMatchObject({
    hostname: "pod-b",
    dns: ["10.96.0.10"],
    dnsSearch: ["svc.local"],
    dnsOpt: ["ndots:5"],
    ports: ["tcp-80-18080:tcp:80:0.0.0.0:18080"],
    annotations: { a: "b" },
    userAnnotations: { k: "v=w" },
  });
  const status = JSON.parse(ok(await env.rkt("status", sb.uuid, "--format=json")).stdout) as Record<string, unknown>;
  expect(status.user_annotations).toEqual({ k: "v=w" });
});

test("app add argument syntax: ---, -- ---, image exec, args without --exec", async () => {
  const image = await busybox();
  const sb = await env.readySandbox(["--net=host"]);
  expect(await env.rkt("app", "add", sb.uuid, image, "--name=x3", "--exec=/bin/true", "---")).toEqual({
    rc: 254,
    stdout: "",
    stderr: "add: error parsing app image arguments: bad flag syntax: ---\n",
  });
  ok(await env.rkt("app", "add", sb.uuid, image, "--name=dash", "--exec=/bin/true", "--", "---"));
  ok(await env.rkt("app", "add", sb.uuid, image, "--name=imgexec", "--stdin=stream"));
  const out = join(env.hostVol, "args-out");
  ok(await env.rkt("app", "add", sb.uuid, image, "--name=args", "--", "-c", `echo from-image-exec > ${out}`, "---"));
  expect((await env.rkt("app", "add", sb.uuid, image, "--name=Bad_Name")).stderr).toBe(
    'add: error parsing app image arguments: invalid argument "Bad_Name" for "--name" flag: ACName must contain only lower case alphanumeric characters plus "-"\n',
  );
  for (const app of ["dash", "imgexec", "args"]) ok(await env.rkt("app", "start", sb.uuid, `--app=${app}`));
  await waitFor("args output", () => (existsSync(out) ? readFileSync(out, "utf8") : undefined));
  expect(readFileSync(out, "utf8")).toBe("from-image-exec\n");
  // The image's own exec ("sh") with an open stdin keeps running; /bin/true exits 0.
  const want = "NAME\tSTATE\ndash\texited\nimgexec\trunning\nargs\texited\n";
  await waitFor("app states", async () => ((await env.rkt("app", "list", sb.uuid)).stdout === want ? true : undefined));
  const pretty = ok(await env.rkt("app", "status", sb.uuid, "--app=dash", "--format=json-pretty")).stdout;
  expect(pretty).toMatch(/^\{\n\t"name": "dash",\n\t"state": "exited",\n/);
  const text = ok(await env.rkt("app", "status", sb.uuid, "--app=dash")).stdout;
  expect(text).toMatch(
    /^name=dash\nstate=exited\ncreated=.* \+0000 UTC\nstarted=.*\nfinished=.*\nexit_code=0\nimage_id=sha512-[0-9a-f]{128}\n$/,
  );
});

test("list text table and status text", async () => {
  const image = await busybox();
  const sb = await env.readySandbox(["--net=host"]);
  ok(await env.rkt("app", "add", sb.uuid, image, "--name=first", "--exec=/bin/true", "--", "---"));
  ok(await env.rkt("app", "add", sb.uuid, image, "--name=second", "--exec=/bin/true", "--", "---"));
  const text = ok(await env.rkt("list")).stdout;
  const lines = text.split("\n");
  // Column widths depend on the relative times ("now", "1 second ago"), so only the fixed part is exact.
  expect(lines[0]).toMatch(/^UUID\t\tAPP\tIMAGE NAME\t\t\t\t\tSTATE\tCREATED\t+STARTED\t+NETWORKS$/);
  expect(lines[1]).toMatch(
    new RegExp(
      `^${sb.uuid.slice(0, 8)}\tfirst\tregistry-1\\.docker\\.io/library/busybox:latest\trunning\t(now|\\d+ seconds? ago)\t+(now|\\d+ seconds? ago)\t+$`,
    ),
  );
  expect(lines[2]).toMatch(/^\t\tsecond\tregistry-1\.docker\.io\/library\/busybox:latest\t\t\t+$/);
  expect(ok(await env.rkt("list", "--full", "--no-legend")).stdout.startsWith(sb.uuid)).toBe(true);
  const status = ok(await env.rkt("status", sb.uuid)).stdout;
  expect(status).toMatch(
    /^state=running\ncreated=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})? \+0000 UTC\nstarted=.*\nnetworks=\npid=\d+\nexited=false\n$/,
  );
  expect(status).toContain(`\npid=${sb.child.pid}\n`);
});

test("state lives under --dir: the pod directory layout", async () => {
  const sb = await env.readySandbox(["--net=host"]);
  expect(readdirSync(join(env.dir, "pods", "run"))).toEqual([sb.uuid]);
  expect(readdirSync(join(env.dir, "pods", "run", sb.uuid)).sort()).toEqual(["ctl.sock", "pid", "pod.json"]);
  expect(readFileSync(join(env.dir, "pods", "run", sb.uuid, "pid"), "utf8")).toBe(String(sb.child.pid));
  ok(await env.rkt("stop", sb.uuid));
  await sb.exited;
  expect(readdirSync(join(env.dir, "pods", "run", sb.uuid)).sort()).toEqual(["pid", "pod.json"]);
});
