/** Pod and app behaviour of the simulator: real processes, logs, stop semantics, crashes, concurrency. */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunResult, SIM, SimEnv, waitFor } from "./helpers";

let env: SimEnv;
let image: string;

beforeEach(async () => {
  env = new SimEnv();
  const r = await env.rkt("image", "fetch", "--pull-policy=update", "--full=true", "docker://busybox:latest");
  expect(r.rc).toBe(0);
  image = r.stdout.trim().split("\n").pop()!;
});
afterEach(() => env.cleanup(), 30_000);

type Json = Record<string, unknown>;

function ok(r: RunResult): RunResult {
  if (r.rc !== 0) throw new Error(`rc ${r.rc}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

async function addApp(uuid: string, name: string, script: string, ...flags: string[]): Promise<void> {
  ok(await env.rkt("app", "add", uuid, image, `--name=${name}`, ...flags, "--exec=/bin/sh", "--", "-c", script, "---"));
}

async function appStatus(uuid: string, name: string): Promise<Json> {
  return JSON.parse(ok(await env.rkt("app", "status", uuid, `--app=${name}`, "--format=json")).stdout) as Json;
}

function waitAppState(uuid: string, name: string, state: string): Promise<Json> {
  return waitFor(`${name} ${state}`, async () => {
    const s = await appStatus(uuid, name);
    return s.state === state ? s : undefined;
  });
}

async function podStatus(uuid: string): Promise<Json> {
  return JSON.parse(ok(await env.rkt("status", uuid, "--format=json")).stdout) as Json;
}

/** Running (a zombie waiting for its reaper counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !["Z", "X"].includes(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
}

const logMode = (): string[] => [
  "--annotation=coreos.com/rkt/experiment/logmode=k8s-plain",
  `--annotation=coreos.com/rkt/experiment/kubernetes-log-dir=${env.logDir}`,
];

test("full lifecycle: sandbox, ready, add, start, status, exec, stop, rm, pod stop, rm", async () => {
  const sb = await env.sandbox([...logMode(), "--user-annotation=k8s.io/reserved/pod-uid=p1", "--user-label=app=x"]);
  ok(await env.rkt("status", sb.uuid, "--format=json", "--wait-ready=10s"));
  const marker = join(env.hostVol, "marker");
  await addApp(
    sb.uuid,
    "0-c1",
    `echo "$FOO:$(pwd)" > ${marker}; echo started; exec sleep 100000`,
    "--environment=FOO=bar",
    `--working-dir=${env.hostVol}`,
    "--stdin=stream",
    "--stdout=stream",
    "--stderr=stream",
  );
  expect((await appStatus(sb.uuid, "0-c1")).state).toBe("created");
  ok(await env.rkt("app", "start", sb.uuid, "--app=0-c1"));
  const running = await waitAppState(sb.uuid, "0-c1", "running");
  expect(Object.keys(running)).toEqual(["name", "state", "created_at", "started_at", "image_id"]);
  // The app is a real process: it wrote its environment and working directory.
  expect(await waitFor("marker file", () => (existsSync(marker) ? readFileSync(marker, "utf8") : undefined))).toBe(`bar:${env.hostVol}\n`);

  const exec = await env.rkt("app", "exec", "--app=0-c1", sb.uuid, "/bin/sh", "-c", 'echo "$FOO $(pwd)"; echo oops >&2; exit 7');
  expect(exec).toEqual({ rc: 7, stdout: `bar ${env.hostVol}\n`, stderr: "oops\n" });
  const cat = await env.run(["app", ...env.globals, "exec", "--app=0-c1", sb.uuid, "/bin/cat"], { input: "piped stdin\n" });
  expect(cat).toEqual({ rc: 0, stdout: "piped stdin\n", stderr: "" });

  ok(await env.rkt("app", "stop", sb.uuid, "--app=0-c1"));
  const stopped = await appStatus(sb.uuid, "0-c1");
  expect(stopped).toMatchObject({ state: "exited", exit_code: 15 });
  expect(BigInt(stopped.finished_at as number)).toBeGreaterThan(0n);
  ok(await env.rkt("app", "rm", sb.uuid, "--app=0-c1"));
  expect(await env.rkt("app", "status", sb.uuid, "--app=0-c1", "--format=json")).toEqual({
    rc: 1,
    stdout: "",
    stderr: 'status: cannot find app "0-c1" in the pod\n',
  });

  expect(ok(await env.rkt("stop", "--force=false", sb.uuid)).stdout).toBe(`"${sb.uuid}"\n`);
  ok(await env.rkt("status", "--wait=10s", sb.uuid));
  expect(await sb.exited).toBe(0);
  expect((await podStatus(sb.uuid)).state).toBe("exited");
  expect(ok(await env.rkt("rm", sb.uuid)).stdout).toBe(`"${sb.uuid}"\n`);
  expect(ok(await env.rkt("list", "--format=json")).stdout).toBe("null\n");
});

test("k8s-plain logs: one line per newline, stream tags, empty and long lines, no partial line, truncated on restart", async () => {
  const sb = await env.readySandbox(logMode());
  const script = "echo out-1; echo; echo err-1 >&2; head -c 20000 /dev/zero | tr '\\0' x; echo; printf 'tail-without-newline'";
  await addApp(
    sb.uuid,
    "0-log",
    script,
    "--annotation=coreos.com/rkt/experiment/kubernetes-log-path=sub/0-log_0.log",
    "--stdout=stream",
    "--stderr=stream",
  );
  ok(await env.rkt("app", "start", sb.uuid, "--app=0-log"));
  await waitAppState(sb.uuid, "0-log", "exited");
  const file = join(env.logDir, "sub", "0-log_0.log");
  const lines = readFileSync(file, "utf8").split("\n");
  expect(lines.pop()).toBe("");
  const parsed = lines.map((l) => /^(\S+) (stdout|stderr) (.*)$/s.exec(l)!);
  for (const m of parsed) expect(m[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
  const of = (stream: string): string[] => parsed.filter((m) => m[2] === stream).map((m) => m[3]!);
  expect(of("stdout")).toEqual(["out-1", "", "x".repeat(20000)]);
  expect(of("stderr")).toEqual(["err-1"]);
  expect(lines).toContainEqual(expect.stringMatching(/^\S+ stdout $/));
  expect(readFileSync(file, "utf8")).not.toContain("tail-without-newline");

  // Starting the app again re-creates the file (O_TRUNC).
  ok(await env.rkt("app", "start", sb.uuid, "--app=0-log"));
  await waitAppState(sb.uuid, "0-log", "exited");
  expect(readFileSync(file, "utf8").match(/out-1/g)).toHaveLength(1);
});

test("a running app's log lines appear while it runs", async () => {
  const sb = await env.readySandbox(logMode());
  await addApp(sb.uuid, "0-slow", "echo first; sleep 100000", "--annotation=coreos.com/rkt/experiment/kubernetes-log-path=0-slow.log");
  ok(await env.rkt("app", "start", sb.uuid, "--app=0-slow"));
  await waitFor("first log line", () =>
    existsSync(join(env.logDir, "0-slow.log")) && readFileSync(join(env.logDir, "0-slow.log"), "utf8").endsWith(" stdout first\n")
      ? true
      : undefined,
  );
  expect((await appStatus(sb.uuid, "0-slow")).state).toBe("running");
});

test("app stop escalates to SIGKILL when the app ignores SIGTERM (exit code 9)", async () => {
  const fast = new SimEnv({ RKT_SIM_APP_STOP_TIMEOUT_MS: "300" });
  try {
    const r = await fast.rkt("image", "fetch", "--full=true", "docker://busybox:latest");
    const img = r.stdout.trim();
    const sb = await fast.readySandbox();
    const trapped = join(fast.hostVol, "trapped");
    ok(
      await fast.rkt(
        "app",
        "add",
        sb.uuid,
        img,
        "--name=stubborn",
        "--exec=/bin/sh",
        "--",
        "-c",
        `trap '' TERM; touch ${trapped}; sleep 100000`,
        "---",
      ),
    );
    ok(await fast.rkt("app", "start", sb.uuid, "--app=stubborn"));
    const pid = await waitFor("app pid", () => fast.podRecord(sb.uuid)?.apps[0]?.pid);
    await waitFor("the TERM trap", () => (existsSync(trapped) ? true : undefined));
    ok(await fast.rkt("app", "stop", sb.uuid, "--app=stubborn"));
    const st = JSON.parse(ok(await fast.rkt("app", "status", sb.uuid, "--app=stubborn", "--format=json")).stdout) as Json;
    expect(st).toMatchObject({ state: "exited", exit_code: 9 });
    expect(alive(pid)).toBe(false);
  } finally {
    await fast.cleanup();
  }
});

test("apps that exit by themselves keep their exit code; stop --force kills apps at once", async () => {
  const sb = await env.readySandbox();
  await addApp(sb.uuid, "three", "exit 3");
  await addApp(sb.uuid, "stubborn", "trap '' TERM; sleep 100000");
  ok(await env.rkt("app", "start", sb.uuid, "--app=three"));
  ok(await env.rkt("app", "start", sb.uuid, "--app=stubborn"));
  expect(await waitAppState(sb.uuid, "three", "exited")).toMatchObject({ exit_code: 3 });
  await waitAppState(sb.uuid, "stubborn", "running");
  ok(await env.rkt("stop", "--force=true", sb.uuid));
  expect(await sb.exited).toBe(0);
  expect(await appStatus(sb.uuid, "stubborn")).toMatchObject({ state: "exited", exit_code: 9 });
});

test("stop --force during a graceful stop kills apps that ignore SIGTERM", async () => {
  const sb = await env.readySandbox(["--net=host"]);
  const trapped = join(env.hostVol, "trapped");
  await addApp(sb.uuid, "stubborn", `trap '' TERM; touch ${trapped}; sleep 100000`);
  ok(await env.rkt("app", "start", sb.uuid, "--app=stubborn"));
  await waitFor("the TERM trap", () => (existsSync(trapped) ? true : undefined));
  // The default app stop timeout is 90 s: the graceful stop alone would not finish soon.
  expect(ok(await env.rkt("stop", sb.uuid)).stdout).toBe(`"${sb.uuid}"\n`);
  expect((await podStatus(sb.uuid)).state).toBe("running");
  expect(ok(await env.rkt("stop", "--force=true", sb.uuid)).stdout).toBe(`"${sb.uuid}"\n`);
  expect(await sb.exited).toBe(0);
  expect(await appStatus(sb.uuid, "stubborn")).toMatchObject({ state: "exited", exit_code: 9 });
});

test("a SIGKILLed sandbox reads as an exited pod and its apps die with it", async () => {
  const sb = await env.readySandbox();
  await addApp(sb.uuid, "bg", "sleep 100000 & sleep 100000");
  ok(await env.rkt("app", "start", sb.uuid, "--app=bg"));
  const pid = await waitFor("app pid", () => env.podRecord(sb.uuid)?.apps[0]?.pid);
  sb.child.kill("SIGKILL");
  await sb.exited;
  expect((await podStatus(sb.uuid)).state).toBe("exited");
  const listed = JSON.parse(ok(await env.rkt("list", "--format=json")).stdout) as Json[];
  expect(listed[0]).toMatchObject({ name: sb.uuid, state: "exited", apps: [{ name: "bg", state: "exited" }] });
  expect(await appStatus(sb.uuid, "bg")).toMatchObject({ state: "exited" });
  await waitFor("the app's process group to die", () => (alive(pid) ? undefined : true));
  expect(ok(await env.rkt("stop", sb.uuid)).stdout).toBe(`pod "${sb.uuid}" is already stopped\n`);
  expect(ok(await env.rkt("rm", sb.uuid)).stdout).toBe(`"${sb.uuid}"\n`);
});

test("list/status approximate app data while app status is exact", async () => {
  const sb = await env.readySandbox();
  await addApp(sb.uuid, "never", "true");
  await addApp(sb.uuid, "runs", "sleep 100000");
  ok(await env.rkt("app", "start", sb.uuid, "--app=runs"));
  await waitAppState(sb.uuid, "runs", "running");
  const pod = JSON.parse(ok(await env.rkt("list", "--format=json")).stdout)[0] as { created_at: number; apps: Json[] };
  const createdSec = BigInt((await podStatus(sb.uuid)).created_at as number);
  const raw = ok(await env.rkt("list", "--format=json")).stdout;
  // Every app carries the pod's times (in ns); a never-started app shows the pod's state.
  const appTimes = [...raw.matchAll(/"name":"(never|runs)","state":"(\w+)","created_at":(\d+),"started_at":(\d+)/g)];
  expect(appTimes.map((m) => [m[1], m[2]])).toEqual([
    ["never", "running"],
    ["runs", "running"],
  ]);
  expect(new Set(appTimes.map((m) => m[3]))).toEqual(new Set([appTimes[0]![3]]));
  expect(BigInt(appTimes[0]![3]!) / 1_000_000_000n).toBe(createdSec);
  expect(pod.apps.every((a) => !("finished_at" in a))).toBe(true);

  const never = await appStatus(sb.uuid, "never");
  expect(never.state).toBe("created");
  expect(never).not.toHaveProperty("started_at");
  expect(String(never.created_at)).not.toBe(appTimes[0]![3]);
  expect(ok(await env.rkt("app", "list", sb.uuid)).stdout).toBe("NAME\tSTATE\nnever\tcreated\nruns\trunning\n");
});

test("concurrent app adds to several pods, with lists in between", async () => {
  const pods = await Promise.all([env.readySandbox(), env.readySandbox()]);
  const adds: Promise<RunResult>[] = [];
  const lists: Promise<RunResult>[] = [];
  for (const sb of pods) {
    for (let i = 0; i < 6; i++) {
      adds.push(env.rkt("app", "add", sb.uuid, image, `--name=app-${i}`, "--exec=/bin/true", "--", "---"));
      lists.push(env.rkt("list", "--format=json"));
    }
  }
  // Two adds racing for one name: exactly one wins.
  const dup = await Promise.all(
    [0, 1].map(() => env.rkt("app", "add", pods[0]!.uuid, image, "--name=same", "--exec=/bin/true", "--", "---")),
  );
  for (const r of await Promise.all(adds)) ok(r);
  for (const r of await Promise.all(lists)) expect(() => JSON.parse(ok(r).stdout)).not.toThrow();
  expect(dup.map((r) => r.rc).sort()).toEqual([0, 254]);
  expect(dup.find((r) => r.rc === 254)!.stderr).toContain("add: error adding app to pod: error: multiple apps with name same\n");
  for (const sb of pods) {
    const names = (await podStatus(sb.uuid)).app_names as string[];
    expect([...names].filter((n) => n.startsWith("app-")).sort()).toEqual(["app-0", "app-1", "app-2", "app-3", "app-4", "app-5"]);
  }
});

test("networks: default pods get distinct 172.16.28.x addresses, host pods none", async () => {
  const [a, b, h] = await Promise.all([env.readySandbox(), env.readySandbox(), env.readySandbox(["--net=host"])]);
  const ipOf = async (uuid: string): Promise<string> => ((await podStatus(uuid)).networks as Json[])[0]!.ip as string;
  const ips = [await ipOf(a.uuid), await ipOf(b.uuid)];
  expect(new Set(ips).size).toBe(2);
  for (const ip of ips) expect(ip).toMatch(/^172\.16\.28\.\d+$/);
  expect(await podStatus(h.uuid)).not.toHaveProperty("networks");
  expect(ok(await env.rkt("status", a.uuid)).stdout).toContain(`\nnetworks=default:ip4=${ips[0]}\n`);
});

test("readiness: not ready before the delay, wait-ready times out, supervisor not yet ready", async () => {
  const slow = new SimEnv({ RKT_SIM_READY_DELAY_MS: "60000" });
  try {
    const sb = await slow.sandbox(["--net=host"]);
    expect(await slow.rkt("status", sb.uuid, "--format=json", "--wait-ready=200ms")).toEqual({
      rc: 254,
      stdout: "",
      stderr: "status: error waiting for pod readiness: context deadline exceeded\n",
    });
    const add = await slow.rkt("app", "add", sb.uuid, "sha512-00", "--name=x", "--exec=/bin/true", "--", "---");
    expect(add).toEqual({ rc: 254, stdout: "", stderr: `add: supervisor for pod "${sb.uuid}" is not yet ready\n` });
    // A uuid prefix names the pod too.
    expect(JSON.parse(ok(await slow.rkt("status", sb.uuid.slice(0, 8), "--format=json")).stdout)).toMatchObject({
      name: sb.uuid,
      state: "running",
    });
  } finally {
    await slow.cleanup();
  }
});

test("sends READY=1 to NOTIFY_SOCKET once ready", async () => {
  const sock = join(env.root, "notify.sock");
  const receiver = spawn("python3", [
    "-c",
    "import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('bound',flush=True)\nprint(s.recv(4096).decode(),flush=True)",
    sock,
  ]);
  let got = "";
  receiver.stdout.on("data", (d: Buffer) => {
    got += d.toString();
  });
  const done = new Promise<void>((r) => receiver.on("exit", () => r()));
  try {
    await waitFor("the receiver", () => (got.startsWith("bound") ? true : undefined));
    const sb = await env.sandbox(["--net=host"], { env: { ...env.env, NOTIFY_SOCKET: sock } });
    await waitFor("READY=1", () => (got.includes("READY=1") ? true : undefined));
    expect(got).toContain(`MAINPID=${sb.child.pid}`);
  } finally {
    receiver.kill();
    await done;
    if (existsSync(sock)) unlinkSync(sock);
  }
});

test("--user runs the app as that uid (as root)", async () => {
  const sb = await env.readySandbox();
  const out = join(env.hostVol, "id");
  await addApp(sb.uuid, "u", `id -u > ${out}; id -G >> ${out}`, "--user=1000", "--supplementary-gids=2000,3000");
  ok(await env.rkt("app", "start", sb.uuid, "--app=u"));
  await waitAppState(sb.uuid, "u", "exited");
  const [uid, groups] = readFileSync(out, "utf8").trim().split("\n");
  expect(uid).toBe(process.getuid?.() === 0 ? "1000" : String(process.getuid?.()));
  if (process.getuid?.() === 0) expect(groups!.split(" ")).toEqual(expect.arrayContaining(["2000", "3000"]));
});

test("gc removes exited pods only", async () => {
  const [a, b] = await Promise.all([env.readySandbox(["--net=host"]), env.readySandbox(["--net=host"])]);
  ok(await env.rkt("stop", a.uuid));
  ok(await env.rkt("status", "--wait=10s", a.uuid));
  const gc = ok(await env.rkt("gc", "--grace-period=0s"));
  expect(gc.stdout).toBe(`Garbage collecting pod "${a.uuid}"\n`);
  const left = (JSON.parse(ok(await env.rkt("list", "--format=json")).stdout) as Json[]).map((p) => p.name);
  expect(left).toEqual([b.uuid]);
});

test("attach streams an app's stdin and output", async () => {
  const sb = await env.readySandbox();
  await addApp(
    sb.uuid,
    "echo",
    'while read -r l; do echo "o:$l"; echo "e:$l" >&2; done',
    "--stdin=stream",
    "--stdout=stream",
    "--stderr=stream",
  );
  ok(await env.rkt("app", "start", sb.uuid, "--app=echo"));
  await waitAppState(sb.uuid, "echo", "running");
  const attach = spawn(SIM, ["attach", ...env.globals, "--app=echo", sb.uuid], { env: env.env });
  let out = "";
  let err = "";
  attach.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  attach.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => attach.on("exit", (code) => r(code)));
  attach.stdin.write("hello\n");
  await waitFor("echoed output", () => (out === "o:hello\n" && err === "e:hello\n" ? true : undefined));
  // Attach ends (rc 0) when the app stops.
  ok(await env.rkt("app", "stop", sb.uuid, "--app=echo"));
  expect(await exited).toBe(0);
  attach.stdin.end();
});

function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A writable cgroup hierarchy where the sandbox can be put into a fresh cgroup, if this host has one. */
function cgroupHierarchy(): string | undefined {
  for (const h of ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    const probe = join(h, `rkt-sim-probe-${process.pid}`);
    try {
      if (!existsSync(join(h, "cgroup.procs"))) continue;
      mkdirSync(probe);
      rmdirSync(probe);
      return h;
    } catch {
      // not writable here
    }
  }
  return undefined;
}

test("each app runs in <sandbox cgroup>/system.slice/<app>.service, removed with the app (best effort)", async () => {
  const hierarchy = cgroupHierarchy();
  const sb = await env.sandbox(["--net=host"]);
  const podCg = hierarchy ? join(hierarchy, `rkt-sim-test-${sb.uuid}`) : undefined;
  try {
    if (podCg) {
      mkdirSync(podCg);
      writeFileSync(join(podCg, "cgroup.procs"), String(sb.child.pid));
    }
    ok(await env.rkt("status", sb.uuid, "--wait-ready=10s"));
    await addApp(sb.uuid, "0-cg", "sleep 100000 & sleep 100000");
    ok(await env.rkt("app", "start", sb.uuid, "--app=0-cg"));
    const pid = await waitFor("app pid", () => env.podRecord(sb.uuid)?.apps[0]?.pid);
    expect(alive(pid)).toBe(true);
    if (podCg) {
      const appCg = join(podCg, "system.slice", "0-cg.service");
      // Every process of the app (its process group: the shell and what it forked) is in the app's cgroup.
      await waitFor("the app processes in the cgroup", () => {
        const inCg = readFileSync(join(appCg, "cgroup.procs"), "utf8").trim().split("\n");
        const group = groupMembers(pid);
        return group.length >= 2 && group.every((p) => inCg.includes(String(p))) && inCg.includes(String(pid)) ? true : undefined;
      });
      ok(await env.rkt("app", "rm", sb.uuid, "--app=0-cg"));
      await waitFor("the app cgroup to be removed", () => (existsSync(appCg) ? undefined : true));
    }
  } finally {
    await env.rkt("stop", "--force=true", sb.uuid);
    await sb.exited;
    if (podCg) {
      await waitFor("the pod cgroup to empty", () => {
        try {
          for (const sub of ["system.slice/0-cg.service", "system.slice", ""])
            if (existsSync(join(podCg, sub))) rmdirSync(join(podCg, sub));
          return true;
        } catch {
          return undefined;
        }
      });
    }
  }
});

/** Where rktlet looks for an app's processes: pod pid file → that process's cgroup → system.slice/<app>.service. */
function appCgroupDirs(podPid: number, app: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(`/proc/${podPid}/cgroup`, "utf8").split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const mounts = m[1] === "name=systemd" ? ["/sys/fs/cgroup/systemd"] : m[1] === "" ? ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] : [];
    for (const mount of mounts) out.push(join(mount, m[2]!, "system.slice", `${app}.service`));
  }
  return out;
}

test("the pod pid file leads to the app's cgroup; a root-cgroup sandbox gets its own pod scope", async () => {
  const sb = await env.readySandbox(["--net=host"]);
  const podPid = Number(readFileSync(join(env.dir, "pods", "run", sb.uuid, "pid"), "utf8"));
  expect(podPid).toBe(sb.child.pid);
  await addApp(sb.uuid, "0-x", "sleep 100000");
  ok(await env.rkt("app", "start", sb.uuid, "--app=0-x"));
  const pid = await waitFor("app pid", () => env.podRecord(sb.uuid)?.apps[0]?.pid);
  const podCgroup = readFileSync(`/proc/${podPid}/cgroup`, "utf8");
  if (cgroupHierarchy()) {
    const procs = await waitFor("the app cgroup", () => appCgroupDirs(podPid, "0-x").find((d) => existsSync(join(d, "cgroup.procs"))));
    expect(readFileSync(join(procs, "cgroup.procs"), "utf8").trim().split("\n")).toContain(String(pid));
  }
  ok(await env.rkt("stop", sb.uuid));
  expect(await sb.exited).toBe(0);
  // A scope the sandbox made for itself (it started in the root cgroup) is gone with the pod.
  const scope = /machine\.slice\/machine-rkt[^\n]*\.scope/.exec(podCgroup)?.[0];
  if (scope)
    for (const mount of ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"])
      expect(existsSync(join(mount, scope))).toBe(false);
});
