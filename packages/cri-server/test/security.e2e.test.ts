import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { RktRunner } from "@rktlet/adapters-rkt";
import { rktSimPath, spdyRemoteCommand, WsHandshakeError, wsRemoteCommand } from "@rktlet/testkit";
import {
  call,
  codeOf,
  type Daemon,
  podConfig,
  referenceClients,
  rktDaemonFlags,
  startDaemon,
  startedLine,
  stopDaemon,
  waitForStart,
} from "./daemon-helpers";
import { argvRecorder, filesContaining, inetListeners, isLoopback, processesShowing, secret, unixListeners } from "./security-helpers";

/**
 * The security properties docs/security.md claims, checked on the built daemon over the rkt simulator.
 * rkt is replaced by a recording wrapper, so the tests see every argv rkt was given. The main daemon runs
 * at debug level: whatever must stay out of the logs must stay out of the most verbose ones.
 */

const SIM = rktSimPath();
const PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const PRIVATE = "127.0.0.1:5000/private/app";
// Docker's default capability set, from the CRI/Docker documentation (not from rktlet's code).
const DOCKER_DEFAULT_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Registry credentials: every field of the CRI AuthConfig gets its own unguessable value. */
const USER = secret("user");
const PASSWORD = secret("password");
const WRONG_PASSWORD = secret("wrongpw");
const IDENTITY_TOKEN = secret("identitytoken");
const REGISTRY_TOKEN = secret("registrytoken");
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
const SECRETS = [USER, PASSWORD, WRONG_PASSWORD, IDENTITY_TOKEN, REGISTRY_TOKEN, BASIC];

function writeRegistry(dir: string): string {
  const file = join(dir, "registry.json");
  const plain = { exec: ["sh"], user: "0", group: "0", env: { PATH: PATH_ENV } };
  writeFileSync(
    file,
    JSON.stringify({
      images: {
        "docker.io/library/busybox:latest": plain,
        // an image without a command: `rkt app add` of it fails unless the container gives one
        "docker.io/library/noexec:1": { user: "0", env: { PATH: PATH_ENV } },
        [`${PRIVATE}:1`]: { ...plain, auth: { user: USER, password: PASSWORD } },
        [`${PRIVATE}:2`]: { ...plain, auth: { user: USER, password: PASSWORD } },
        [`${PRIVATE}:3`]: { ...plain, auth: { user: USER, password: PASSWORD } },
        "coreos.com/rkt/stage1-coreos:1.30.0": { stage1: true },
      },
    }),
  );
  return file;
}

/** A daemon on the simulator behind the argv recorder, everything under `dir`. */
async function rktDaemon(dir: string, extra: readonly string[] = [], wrapper: readonly string[] = []) {
  const rec = argvRecorder(dir, SIM);
  const env = { ...process.env, RKT_SIM_REGISTRY: writeRegistry(dir) };
  const daemon = startDaemon([...rktDaemonFlags(dir, rec.path), "--log-level=debug", ...extra], env, wrapper);
  await waitForStart(daemon, 20_000);
  return { daemon, rec };
}

/** Kills the daemon itself (also when a wrapper exec'd into it), its pods, and removes `dir`. */
async function teardown(dir: string, daemon: Daemon | undefined): Promise<void> {
  if (daemon && daemon.proc.exitCode === null && daemon.proc.signalCode === null) {
    if (daemon.wrapped) {
      daemon.proc.kill("SIGKILL");
      await daemon.exited;
    } else await stopDaemon(daemon);
  }
  const units = new ProcessUnitManager({ stateDir: join(dir, "s", "units") });
  for (const u of await units.list()) await units.stop(u.name, 3000);
  rmSync(dir, { recursive: true, force: true });
}

const newDir = () => mkdtempSync(join(tmpdir(), "rksec-"));
const has = (argv: readonly string[], flag: string) => argv.some((a) => a === flag || a.startsWith(`${flag}=`));
const flagValue = (argv: readonly string[], flag: string) => argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);

// The main daemon: most tests share it.
let dir: string;
let daemon: Daemon;
let rec: ReturnType<typeof argvRecorder>;
let c: ReturnType<typeof referenceClients>;
let socket: string;
let plainPod: string;
let shellId: string;
const plainConfig = () => podConfig(dir, "plain");

const sandboxArgv = (podName: string) =>
  rec.invocations().filter((a) => a.includes("sandbox") && a.includes(`--user-annotation=k8s.io/reserved/pod-name=${podName}`));
const appAddArgv = (containerName: string) =>
  rec.invocations().filter((a) => a.includes("add") && a.includes(`--user-annotation=k8s.io/reserved/container-name=${containerName}`));

function containerConfig(name: string, extra: Record<string, unknown> = {}) {
  return {
    metadata: { name, attempt: 0 },
    image: { image: "busybox" },
    command: ["sh", "-c", "sleep 3600"],
    log_path: `${name}.log`,
    ...extra,
  };
}

async function createIn(podId: string, sandboxConfig: unknown, name: string, extra: Record<string, unknown> = {}) {
  return (
    await call(c.runtime, "CreateContainer", { pod_sandbox_id: podId, config: containerConfig(name, extra), sandbox_config: sandboxConfig })
  ).container_id as string;
}

beforeAll(async () => {
  dir = newDir();
  socket = join(dir, "run", "sub", "cri.sock");
  // the last --listen wins: a socket whose directories the daemon has to create
  ({ daemon, rec } = await rktDaemon(dir, [`--listen=${socket}`]));
  c = referenceClients(socket);
  await call(c.image, "PullImage", { image: { image: "busybox" } });
  plainPod = (await call(c.runtime, "RunPodSandbox", { config: plainConfig() })).pod_sandbox_id as string;
  shellId = await createIn(plainPod, plainConfig(), "shell");
  await call(c.runtime, "StartContainer", { container_id: shellId });
}, 60_000);

afterAll(async () => {
  c?.close();
  await teardown(dir, daemon);
}, 30_000);

describe("the CRI socket", () => {
  test("is a socket of mode 0660 owned by the daemon's user and group (root), in directories it creates 0755", () => {
    const st = lstatSync(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o660);
    expect([st.uid, st.gid]).toEqual([process.getuid?.(), process.getgid?.()]);
    expect(process.getuid?.()).toBe(0);
    // the daemon inherited this process's umask, which mkdir applies
    const umask = Number.parseInt(/^Umask:\s*(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "22", 8);
    for (const d of [dirname(socket), dirname(dirname(socket))]) expect(statSync(d).mode & 0o7777).toBe(0o755 & ~umask);
  });

  test("an unprivileged user cannot connect; a member of the socket's group can", () => {
    // let others reach the socket's directory, so that only the socket's own mode decides
    chmodSync(dir, 0o711);
    try {
      const connectAs = (gid: number) =>
        spawnSync(
          "setpriv",
          [
            "--reuid=65534",
            `--regid=${gid}`,
            "--clear-groups",
            process.execPath,
            "-e",
            'require("net").connect(process.argv[1]).on("connect", () => { console.log("connected"); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(1); })',
            socket,
          ],
          { encoding: "utf8", timeout: 10_000 },
        ).stdout.trim();
      expect(connectAs(65534)).toBe("EACCES");
      expect(connectAs(0)).toBe("connected");
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  test("in a setgid directory the socket takes the directory's group: the way to grant a group access", async () => {
    const d = newDir();
    let other: Daemon | undefined;
    try {
      const runDir = join(d, "run");
      mkdirSync(runDir);
      chownSync(runDir, 0, 4242);
      chmodSync(runDir, 0o2750);
      const sock = join(runDir, "cri.sock");
      ({ daemon: other } = await rktDaemon(d, [`--listen=${sock}`]));
      const st = lstatSync(sock);
      expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o660, 0, 4242]);
    } finally {
      await teardown(d, other);
    }
  }, 30_000);

  test("a symlink at the socket path is neither followed nor removed", async () => {
    const d = newDir();
    let other: Daemon | undefined;
    try {
      const target = join(d, "precious");
      writeFileSync(target, "keep me");
      const link = join(d, "cri.sock");
      symlinkSync(target, link);
      other = startDaemon([...rktDaemonFlags(d, SIM), `--listen=${link}`]);
      expect(await other.exited).toBe(1);
      expect(other.output()).toMatch(/exists and is not a socket/);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readFileSync(target, "utf8")).toBe("keep me");
    } finally {
      await teardown(d, other);
    }
  }, 30_000);

  test("the CRI has no TCP listener: the daemon's only inet socket is the streaming server, on loopback", () => {
    const pid = daemon.proc.pid as number;
    const listeners = inetListeners(pid);
    const streamPort = Number(new URL(startedLine(daemon).streamServer as string).port);
    expect(listeners).toEqual([{ proto: "tcp", address: "127.0.0.1", port: streamPort }]);
    expect(unixListeners(pid)).toEqual([socket]);
  });

  test("by default the streaming server binds 127.0.0.1:10241; metrics listen only when asked, where asked", async () => {
    const d = newDir();
    let other: Daemon | undefined;
    try {
      // a network namespace of its own, so the default port cannot clash with anything else on the host
      const ownNet = spawnSync("unshare", ["-n", "true"]).status === 0;
      const wrapper = ownNet ? ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"'] : [];
      const flags = rktDaemonFlags(d, SIM).filter((f) => !f.startsWith("--stream-server-address"));
      const env = { ...process.env, RKT_SIM_REGISTRY: writeRegistry(d) };
      other = startDaemon([...flags, "--metrics-address=127.0.0.1:0"], env, wrapper);
      await waitForStart(other, 20_000);
      const line = startedLine(other);
      expect(line.streamServer).toBe("http://127.0.0.1:10241");
      const metricsPort = Number(new URL(line.metrics as string).port);
      const listeners = inetListeners(other.proc.pid as number).sort((a, b) => a.port - b.port);
      expect(listeners).toEqual(
        [
          { proto: "tcp", address: "127.0.0.1", port: 10241 },
          { proto: "tcp", address: "127.0.0.1", port: metricsPort },
        ].sort((a, b) => a.port - b.port),
      );
      expect(listeners.every((l) => isLoopback(l.address))).toBe(true);
    } finally {
      await teardown(d, other);
    }
  }, 30_000);
});

describe("streaming tokens", () => {
  const tokens: string[] = [];
  const urlOf = async (method: string, req: Record<string, unknown>) => {
    const url = (await call(c.runtime, method, req)).url as string;
    tokens.push(url.slice(url.lastIndexOf("/") + 1));
    return url;
  };
  const execUrl = () => urlOf("Exec", { container_id: shellId, cmd: ["true"], stdout: true, stderr: true });

  test("Exec, Attach and PortForward URLs are on loopback and carry distinct 192-bit tokens", async () => {
    const port = new URL(startedLine(daemon).streamServer as string).port;
    const urls = [
      ...(await Promise.all(Array.from({ length: 40 }, () => execUrl()))),
      await urlOf("Attach", { container_id: shellId, stdout: true, stderr: true }),
      await urlOf("PortForward", { pod_sandbox_id: plainPod, port: [80] }),
    ];
    for (const u of urls) expect(u).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/(exec|attach|portforward)/[0-9a-f]{48}$`));
    expect(new Set(urls.map((u) => u.slice(u.lastIndexOf("/") + 1))).size).toBe(urls.length);
    // 40 tokens × 48 hex digits: every digit value shows up, as it would not with a counter or a timestamp
    expect(new Set(tokens.join("")).size).toBe(16);
  });

  test("a token is spent by its first upgrade; unknown, reused and wrong-kind tokens get 404; a plain GET spends nothing", async () => {
    const url = await execUrl();
    // a request without an upgrade is answered 400 and leaves the token valid
    expect(await plainGet(url)).toBe(400);
    expect((await wsRemoteCommand(url)).exitCode).toBe(0);
    await expect(wsRemoteCommand(url)).rejects.toMatchObject({ statusCode: 404 });
    await expect(spdyRemoteCommand(url)).rejects.toThrow(/404/);

    const unknown = url.replace(/[0-9a-f]{48}$/, "0".repeat(48));
    await expect(wsRemoteCommand(unknown)).rejects.toBeInstanceOf(WsHandshakeError);
    await expect(wsRemoteCommand(unknown)).rejects.toMatchObject({ statusCode: 404 });

    // an exec token presented as an attach is refused, and is then spent
    const wrongKind = await execUrl();
    await expect(wsRemoteCommand(wrongKind.replace("/exec/", "/attach/"))).rejects.toMatchObject({ statusCode: 404 });
    await expect(wsRemoteCommand(wrongKind)).rejects.toMatchObject({ statusCode: 404 });
  });

  test("no token reaches the daemon's log, even at debug level", () => {
    expect(tokens.length).toBeGreaterThan(40);
    const out = daemon.output();
    expect(out).toMatch(/"level":20/); // it really logs at debug
    expect(tokens.filter((t) => out.includes(t))).toEqual([]);
  });
});

function plainGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("registry credentials", () => {
  const pull = (image: string, auth: Record<string, string>) => call(c.image, "PullImage", { image: { image }, auth });
  const scanned = () => [join(dir, "d"), join(dir, "s"), join(dir, "logs")];

  test("reach rkt only through a private file that is gone afterwards: not in the logs, any rkt argv, or any file left", async () => {
    const before = rec.mark();
    // every field set: username and password are used, the rest must not surface either
    await pull(`${PRIVATE}:1`, {
      username: USER,
      password: PASSWORD,
      auth: BASIC,
      server_address: "127.0.0.1:5000",
      identity_token: IDENTITY_TOKEN,
      registry_token: REGISTRY_TOKEN,
    });
    // `auth` alone (base64 of user:password), as kubelet sends a dockerconfigjson entry
    await pull(`${PRIVATE}:2`, { auth: BASIC });
    // tokens alone cannot be given to rkt: refused without echoing them
    expect(await codeOf(pull(`${PRIVATE}:3`, { identity_token: IDENTITY_TOKEN }))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(pull(`${PRIVATE}:3`, { registry_token: REGISTRY_TOKEN }))).toBe("INVALID_ARGUMENT");
    // a wrong password: the registry's refusal, without the password
    expect(await codeOf(pull(`${PRIVATE}:3`, { username: USER, password: WRONG_PASSWORD }))).toBe("FAILED_PRECONDITION");

    for (const tag of ["1", "2"]) {
      expect(((await call(c.image, "ImageStatus", { image: { image: `${PRIVATE}:${tag}` } })).image as { id: string }).id).toMatch(
        /^sha512-/,
      );
    }
    const fetches = rec.invocations(before).filter((a) => a.includes("fetch"));
    expect(fetches).toHaveLength(3);
    // the credentials went by file: each fetch names its own private config directory, and nothing else
    for (const f of fetches) expect(flagValue(f, "--user-config")).toMatch(new RegExp(`^${join(dir, "s", "auth")}/pull-`));
    const everyArgv = rec.invocations().flat().join("\n");
    expect(SECRETS.filter((s) => everyArgv.includes(s))).toEqual([]);
    expect(SECRETS.filter((s) => daemon.output().includes(s))).toEqual([]);
    expect(filesContaining(scanned(), SECRETS)).toEqual([]);
    expect(existsSync(join(dir, "s", "auth")) ? readdirSync(join(dir, "s", "auth")) : []).toEqual([]);
  }, 30_000);

  test("during a pull the file is private and no process shows the secret; a pull killed midway is wiped at the next start", async () => {
    const d = newDir();
    let first: Daemon | undefined;
    let second: Daemon | undefined;
    let heldPid = 0;
    try {
      const started = await rktDaemon(d);
      first = started.daemon;
      const client = referenceClients(join(d, "cri.sock"));
      started.rec.hold();
      const pulling = call(client.image, "PullImage", {
        image: { image: `${PRIVATE}:1` },
        auth: { username: USER, password: PASSWORD, identity_token: IDENTITY_TOKEN, registry_token: REGISTRY_TOKEN },
      }).catch(() => "ended");
      heldPid = await started.rec.heldPid();

      // rkt is running with the credentials available to it: look at the process table and the file now
      expect(processesShowing(SECRETS)).toEqual([]);
      const authRoot = join(d, "s", "auth");
      const [pullDir] = readdirSync(authRoot);
      const file = join(authRoot, pullDir as string, "auth.d", "pull.json");
      const mode = (p: string) => statSync(p).mode & 0o7777;
      expect([mode(join(d, "s")), mode(authRoot), mode(join(authRoot, pullDir as string)), mode(dirname(file)), mode(file)]).toEqual([
        0o700, 0o700, 0o700, 0o700, 0o600,
      ]);
      expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
        rktKind: "dockerAuth",
        credentials: { user: USER, password: PASSWORD },
      });

      // kill -9 of the daemon mid-pull: nothing gets to clean up
      first.proc.kill("SIGKILL");
      await first.exited;
      client.close();
      await pulling;
      // the held rkt is a process group of its own (the runner starts rkt detached): end it by its id
      process.kill(-heldPid, "SIGKILL");
      heldPid = 0;
      expect(existsSync(file)).toBe(true);

      second = startDaemon([...rktDaemonFlags(d, started.rec.path), "--log-level=debug"], {
        ...process.env,
        RKT_SIM_REGISTRY: join(d, "registry.json"),
      });
      await waitForStart(second, 20_000);
      expect(existsSync(authRoot)).toBe(false);
      expect(filesContaining([join(d, "d"), join(d, "s"), join(d, "logs")], SECRETS)).toEqual([]);
      expect(SECRETS.filter((s) => `${first?.output()}${second?.output()}`.includes(s))).toEqual([]);
    } finally {
      if (heldPid) process.kill(-heldPid, "SIGKILL");
      await teardown(d, second ?? first);
    }
  }, 40_000);
});

describe("privileges are given only when asked for", () => {
  test("a plain pod and container: no all-run, no capability or seccomp widening beyond what the CRI defaults mean", async () => {
    const sandbox = sandboxArgv("plain");
    expect(sandbox).toHaveLength(1);
    const s = sandbox[0] as string[];
    expect(s).not.toContain("--insecure-options=all-run");
    // the only insecure option is the daemon's global one, which a pod cannot widen
    expect(s.filter((a) => a.startsWith("--insecure-options="))).toEqual(["--insecure-options=image,ondisk"]);
    expect(s).not.toContain("--net=host");

    // what a pod under the "restricted" standard sends: RuntimeDefault seccomp, every capability dropped
    const restricted = await createIn(plainPod, plainConfig(), "restricted", {
      linux: {
        security_context: {
          seccomp: { profile_type: "RuntimeDefault" },
          capabilities: { drop_capabilities: ["ALL"] },
          run_as_user: { value: 1000 },
          no_new_privs: true,
        },
      },
    });
    expect(restricted).toBeTruthy();
    const r = appAddArgv("restricted")[0] as string[];
    expect(has(r, "--seccomp")).toBe(false); // rkt's default filter applies
    expect(flagValue(r, "--caps-retain")).toBe("");
    expect(flagValue(r, "--user")).toBe("1000");

    // no security context at all: rkt's default capabilities, and the CRI's default seccomp, which is unconfined
    const shell = appAddArgv("shell")[0] as string[];
    expect(has(shell, "--caps-retain")).toBe(false);
    expect(flagValue(shell, "--seccomp")).toBe("mode=retain,@appc.io/all");
    expect(has(shell, "--user")).toBe(false);
  });

  test("added capabilities are exactly the defaults plus the additions, less the drops", async () => {
    await createIn(plainPod, plainConfig(), "netadmin", {
      linux: { security_context: { capabilities: { add_capabilities: ["NET_ADMIN"], drop_capabilities: ["KILL"] } } },
    });
    const caps = flagValue(appAddArgv("netadmin")[0] as string[], "--caps-retain")?.split(",") ?? [];
    const expected = [...DOCKER_DEFAULT_CAPS.filter((x) => x !== "CAP_KILL"), "CAP_NET_ADMIN"];
    expect([...caps].sort()).toEqual([...expected].sort());
  });

  test("a privileged pod gets all-run; its privileged container every capability and no seccomp filter", async () => {
    const priv = podConfig(dir, "priv", { linux: { security_context: { privileged: true } } });
    const podId = (await call(c.runtime, "RunPodSandbox", { config: priv })).pod_sandbox_id as string;
    expect(sandboxArgv("priv")[0]).toContain("--insecure-options=all-run");
    await createIn(podId, priv, "root", { linux: { security_context: { privileged: true } } });
    const a = appAddArgv("root")[0] as string[];
    expect(flagValue(a, "--seccomp")).toBe("mode=retain,@appc.io/all");
    const caps = flagValue(a, "--caps-retain")?.split(",") ?? [];
    for (const cap of [...DOCKER_DEFAULT_CAPS, "CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_NET_ADMIN", "CAP_BPF"])
      expect(caps).toContain(cap);
    // a plain container in that pod stays plain
    await createIn(podId, priv, "notroot");
    expect(has(appAddArgv("notroot")[0] as string[], "--caps-retain")).toBe(false);
  }, 30_000);

  // finding 1 of the review (docs/security.md), fixed
  test("a privileged container in a non-privileged pod is refused before rkt sees it", async () => {
    const code = await codeOf(createIn(plainPod, plainConfig(), "sneaky", { linux: { security_context: { privileged: true } } }));
    expect(code).toBe("INVALID_ARGUMENT");
    expect(appAddArgv("sneaky")).toEqual([]);
  });
});

describe("what a CRI client can and cannot do", () => {
  test("it is root-equivalent: any host path can be mounted writable into a plain pod, and missing ones are created", async () => {
    const made = join(dir, "created-by-rktlet", "deep");
    await createIn(plainPod, plainConfig(), "hostroot", {
      mounts: [
        { container_path: "/host", host_path: "/", readonly: false },
        { container_path: "/made", host_path: made, readonly: false },
      ],
    });
    const a = appAddArgv("hostroot")[0] as string[];
    expect(a).toContain("--mnt-volume=name=vol-0,kind=host,source=/,target=/host,readOnly=false");
    expect(statSync(made).isDirectory()).toBe(true);
  });

  test("hostile input is refused before any rkt argv; shell syntax travels as one literal argument and runs nothing", async () => {
    const mark = join(dir, "pwned");
    const hostileIds = [`id; touch ${mark}`, `$(touch ${mark})`, "../../etc/passwd", "--dir=/etc"];
    for (const id of hostileIds) {
      expect(await codeOf(call(c.runtime, "StopPodSandbox", { pod_sandbox_id: id }))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(call(c.runtime, "RemoveContainer", { container_id: id }))).toBe("INVALID_ARGUMENT");
      expect(await codeOf(call(c.runtime, "ExecSync", { container_id: id, cmd: ["true"], timeout: 5 }))).toBe("INVALID_ARGUMENT");
    }
    const refused: [string, Promise<unknown>][] = [
      [
        "log directory outside the root",
        call(c.runtime, "RunPodSandbox", { config: podConfig(dir, "esc1", { log_directory: join(dir, "elsewhere") }) }),
      ],
      [
        "log directory climbing out",
        call(c.runtime, "RunPodSandbox", { config: podConfig(dir, "esc2", { log_directory: join(dir, "logs", "..", "elsewhere") }) }),
      ],
      [
        "a reserved annotation",
        call(c.runtime, "RunPodSandbox", { config: podConfig(dir, "esc3", { annotations: { "k8s.io/reserved/log-directory": "/etc" } }) }),
      ],
      ["log path climbing out", createIn(plainPod, plainConfig(), "esc4", { log_path: "../../../elsewhere/x.log" })],
      ["absolute log path", createIn(plainPod, plainConfig(), "esc5", { log_path: "/etc/x.log" })],
      ["a literal --- argument", createIn(plainPod, plainConfig(), "esc6", { args: ["---", "--net=host"] })],
      [
        "a mount path breaking rkt's syntax",
        createIn(plainPod, plainConfig(), "esc7", { mounts: [{ container_path: "/x", host_path: "/a,kind=host" }] }),
      ],
      ["an exec command that is an option", call(c.runtime, "ExecSync", { container_id: shellId, cmd: ["--dir=/etc"], timeout: 5 })],
      [
        "an annotation over 64 KiB",
        call(c.runtime, "RunPodSandbox", { config: podConfig(dir, "esc8", { annotations: { big: "x".repeat(64 * 1024 + 1) } }) }),
      ],
    ];
    for (const [what, p] of refused) expect([what, await codeOf(p)]).toEqual([what, "INVALID_ARGUMENT"]);
    // the whole message is bounded too (kubelet's 16 MiB)
    expect(
      await codeOf(
        call(c.runtime, "RunPodSandbox", { config: podConfig(dir, "esc9", { annotations: { huge: "x".repeat(17 * 1024 * 1024) } }) }),
      ),
    ).toBe("RESOURCE_EXHAUSTED");
    expect(existsSync(join(dir, "elsewhere"))).toBe(false);
    for (let i = 1; i <= 9; i++) {
      expect(sandboxArgv(`esc${i}`)).toEqual([]);
      expect(appAddArgv(`esc${i}`)).toEqual([]);
    }
    const everyArg = rec.invocations().flat();
    for (const id of hostileIds) expect(everyArg.filter((a) => a.includes(id))).toEqual([]);

    // metacharacters a client is allowed to send are data: one argv element each, never interpreted
    const evil = { a: `$(touch ${mark})`, b: `x; touch ${mark}`, c: `\`touch ${mark}\`\n--net=host` };
    await call(c.runtime, "RunPodSandbox", { config: podConfig(dir, "meta", { annotations: evil }) });
    const s = sandboxArgv("meta")[0] as string[];
    for (const [k, v] of Object.entries(evil)) expect(s).toContain(`--user-annotation=${k}=${v}`);
    expect(s).not.toContain("--net=host");
    expect(existsSync(mark)).toBe(false);
    expect(await call(c.runtime, "Version", {})).toMatchObject({ runtime_name: "rkt" });
  }, 40_000);

  test("a rkt command that overruns its timeout is killed together with what it started", async () => {
    const slow = join(dir, "slow-rkt.sh");
    const childPid = join(dir, "slow-child.pid");
    writeFileSync(slow, `#!/bin/sh\nsleep 60 &\necho $! > '${childPid}'\nwait\n`);
    chmodSync(slow, 0o755);
    const runner = new RktRunner({ rktPath: slow, dataDir: dir, insecureOptions: [], commandTimeoutMs: 300 });
    const t0 = Date.now();
    const r = await runner.run("list", []);
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    const pid = Number(readFileSync(childPid, "utf8"));
    expect(pid).toBeGreaterThan(0);
    // the background child went with the group: gone, or a zombie waiting for its new parent
    const state = () => (existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] : "gone");
    for (let i = 0; i < 40 && !["gone", "Z"].includes(state() ?? ""); i++) await new Promise((r) => setTimeout(r, 50));
    expect(["gone", "Z"]).toContain(state());
  });

  test("environment values reach rkt on its command line (rkt has no other way), and the daemon's rkt log line redacts them", async () => {
    const value = secret("envvalue");
    await createIn(plainPod, plainConfig(), "envy", { envs: [{ key: "API_KEY", value: Buffer.from(value) }] });
    expect(appAddArgv("envy")[0]).toContain(`--environment=API_KEY=${value}`);
    const out = daemon.output();
    expect(out).toContain('"--environment=API_KEY=[redacted]"');
    expect(out).not.toContain(value);
  });

  // finding 2 of the review (docs/security.md), fixed
  test("environment values stay out of the log also when rkt fails", async () => {
    const value = secret("envsecret");
    await call(c.image, "PullImage", { image: { image: "noexec:1" } });
    const code = await codeOf(
      createIn(plainPod, plainConfig(), "failing", {
        image: { image: "noexec:1" },
        command: [],
        envs: [{ key: "DB_PASSWORD", value: Buffer.from(value) }],
      }),
    );
    expect(code).not.toBe("OK");
    // rkt was asked (the value is on its command line, as rkt's CLI requires), but the log must not repeat it
    expect(appAddArgv("failing")).toHaveLength(1);
    expect(daemon.output()).not.toContain(value);
  }, 30_000);
});
