import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rktSimPath } from "@rktlet/testkit";
import { type DaemonOptions, parseCommandLine } from "../src/daemon/options";
import { type CheckResult, collectDoctorReport, type DoctorHost, type DoctorReport, runDoctor } from "../src/doctor";

jest.setTimeout(60_000);

const STAGE1 = "coreos.com/rkt/stage1-coreos:1.30.0";
const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? test : test.skip;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rktlet-doctor-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Daemon options from real flags, with every path in the test's directory and the rkt simulator as rkt. */
function options(...flags: string[]): DaemonOptions {
  const cmd = parseCommandLine([
    `--rkt-path=${rktSimPath()}`,
    `--rkt-data-dir=${join(dir, "data")}`,
    `--state-dir=${join(dir, "state")}`,
    `--listen=${join(dir, "run", "rktlet.sock")}`,
    "--unit-manager=process",
    ...flags,
  ]);
  if (cmd.kind !== "run") throw new Error(`unexpected ${cmd.kind}`);
  return cmd.options;
}

/** The host as the tests see it: no systemd, no kubelet, rkt's config directory empty. */
function host(extra: Partial<DoctorHost> = {}): Partial<DoctorHost> {
  return {
    systemdRunDir: join(dir, "no-systemd"),
    rktLocalConfigDir: join(dir, "etc-rkt"),
    kubeletConfigPath: join(dir, "no-kubelet.yaml"),
    stage1SearchDirs: [],
    ...extra,
  };
}

function check(report: DoctorReport, id: string): CheckResult {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${report.checks.map((x) => x.id).join(", ")}`);
  return c;
}

const statuses = (report: DoctorReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

/** Puts the simulator's default stage1 into the store, as a host that has run rkt before has it. */
function prefetchStage1(): void {
  execFileSync(rktSimPath(), ["image", `--dir=${join(dir, "data")}`, "fetch", STAGE1], { stdio: "ignore" });
}

/** Runs runDoctor as the CLI will, collecting its output. */
async function doctor(o: DaemonOptions): Promise<{ code: number; text: string; line: (title: string) => string }> {
  let text = "";
  const code = await runDoctor(o, { write: (s) => (text += s) });
  const line = (title: string) => text.split("\n").find((l) => l.slice(6).startsWith(`${title}:`)) ?? "";
  return { code, text, line };
}

/** A stand-in rkt: a shell script answering `version` with `banner`, `image list` with an empty store, and failing fetches. */
function fakeRkt(banner: string, extra = ""): string {
  const path = join(dir, "fake-rkt");
  const script = [
    "#!/bin/sh",
    extra,
    'case "$1 $*" in',
    `  "version "*) printf '%s\\n' '${banner}' ;;`,
    '  "image "*" list "*) echo null ;;',
    '  *) echo "fetch: discovery failed" >&2; exit 254 ;;',
    "esac",
    "",
  ];
  writeFileSync(path, script.join("\n"));
  chmodSync(path, 0o755);
  return path;
}

describe("a good set-up (rkt simulator, temporary directories)", () => {
  test("every check passes, runDoctor exits 0, and the rkt checks are ok", async () => {
    prefetchStage1();
    const { code, text, line } = await doctor(options());
    expect(code).toBe(0);
    expect(text).not.toMatch(/^FAIL/m);
    expect(line("rkt binary")).toMatch(/^ok {4}rkt binary: .*rkt-sim\.js: rkt 1\.30\.0/);
    expect(line("stage1 image")).toMatch(new RegExp(`^ok {4}stage1 image: rkt's default stage1 .*${STAGE1.replace(/\./g, "\\.")}`));
    expect(line("unit manager")).toMatch(
      /^ok {4}unit manager: process \(--unit-manager process\); its state directory .*\/state\/units is writable/,
    );
    expect(text).toMatch(/0 FAIL.*: nothing blocks pods\n$/);
  });

  test("the report as data: rkt, stage1, units, network, socket, mount and disk all ok", async () => {
    prefetchStage1();
    const report = await collectDoctorReport(options(), host());
    expect(report.exitCode).toBe(0);
    expect(statuses(report)).toMatchObject({
      root: "ok",
      rkt: "ok",
      stage1: "ok",
      units: "ok",
      "cgroup-driver": "ok",
      "data-mount": "ok",
      network: "ok",
      socket: "ok",
      "disk-data": "ok",
      "disk-state": "ok",
    });
    expect(check(report, "rkt").found).toContain("rkt 1.30.0+git-dirty");
    expect(check(report, "cgroup-driver").found).toMatch(/^cgroupfs/);
    // nothing was left behind by the write probes
    expect(existsSync(join(dir, "state"))).toBe(false);
    // and the result is plain data
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  test("a named stage1 that is not in the store is fetched, and is in the store afterwards", async () => {
    const o = options(`--rkt-stage1-name=${STAGE1}`);
    const first = check(await collectDoctorReport(o, host()), "stage1");
    expect(first).toMatchObject({ status: "ok" });
    expect(first.found).toMatch(/was not in rkt's store .*; fetched it now \(sha512-/);
    const second = check(await collectDoctorReport(o, host()), "stage1");
    expect(second.found).toMatch(new RegExp(`^${STAGE1.replace(/\./g, "\\.")} is in rkt's store`));
  });
});

describe("rkt binary", () => {
  test("missing: FAIL naming --rkt-path, the stage1 check is skipped, exit 1", async () => {
    const missing = join(dir, "nowhere", "rkt");
    const { code, text, line } = await doctor(options(`--rkt-path=${missing}`));
    expect(code).toBe(1);
    expect(line("rkt binary")).toBe(
      `FAIL  rkt binary: no file at ${missing} (--rkt-path ${missing}); fix: install rkt 1.30 there, or point --rkt-path at the rkt binary`,
    );
    expect(line("stage1 image")).toMatch(/^skip {2}stage1 image: not checked: rkt does not run/);
    expect(text).toMatch(/1 FAIL, 1 skipped: pods cannot run until the FAIL lines are fixed\n$/);
  });

  test("not executable: FAIL with chmod as the fix", async () => {
    const path = fakeRkt("rkt Version: 1.30.0");
    chmodSync(path, 0o644);
    const c = check(await collectDoctorReport(options(`--rkt-path=${path}`), host()), "rkt");
    expect(c).toMatchObject({ status: "fail", found: `${path} (--rkt-path ${path}) is not an executable file` });
    expect(c.fix).toContain(`chmod +x ${path}`);
  });

  test("something that is not rkt: FAIL", async () => {
    const path = fakeRkt("hello");
    const c = check(await collectDoctorReport(options(`--rkt-path=${path}`), host()), "rkt");
    expect(c.status).toBe("fail");
    expect(c.found).toContain('without "rkt Version:"');
  });

  test("an older rkt is a warning only: exit 0", async () => {
    const path = fakeRkt("rkt Version: 1.29.0");
    const report = await collectDoctorReport(options(`--rkt-path=${path}`, `--rkt-stage1-name=${STAGE1}`), host());
    expect(check(report, "rkt")).toMatchObject({ status: "warn" });
    expect(check(report, "rkt").found).toContain("rkt 1.29.0, older than the 1.30");
    // the fake rkt cannot fetch: the stage1 check fails on its own, not because of the version
    expect(check(report, "stage1").status).toBe("fail");
    const warnOnly = await collectDoctorReport(options(`--rkt-path=${path}`), host());
    expect(check(warnOnly, "stage1").status).toBe("warn");
    expect(warnOnly.checks.filter((c) => c.status === "fail")).toEqual([]);
    // an ACI beside the binary is what rkt imports on first use
    writeFileSync(join(dir, "stage1-coreos.aci"), "");
    const withAci = await collectDoctorReport(options(`--rkt-path=${path}`), host());
    expect(check(withAci, "stage1")).toMatchObject({ status: "ok" });
    expect(check(withAci, "stage1").found).toContain(`rkt imports ${join(dir, "stage1-coreos.aci")} on first use`);
    expect(warnOnly.exitCode).toBe(0);
  });

  test("an rkt that hangs is cut off by the check's time limit", async () => {
    const path = fakeRkt("rkt Version: 1.30.0", "exec sleep 30");
    const started = Date.now();
    const report = await collectDoctorReport(options(`--rkt-path=${path}`), host({ timeoutMs: 1500 }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(check(report, "rkt").status).toBe("fail");
    expect(check(report, "rkt").found).toMatch(/no answer within 1s|did not finish within 2s/);
    expect(check(report, "stage1").status).toBe("skip");
  });
});

describe("stage1", () => {
  test("a named stage1 that is neither in the store nor fetchable: FAIL naming --rkt-stage1-name, exit 1", async () => {
    const registry = join(dir, "registry.json");
    writeFileSync(registry, JSON.stringify({ images: {} }));
    const report = await collectDoctorReport(
      options(`--rkt-stage1-name=${STAGE1}`),
      host({ env: { ...process.env, RKT_SIM_REGISTRY: registry } }),
    );
    const c = check(report, "stage1");
    expect(c.status).toBe("fail");
    expect(c.found).toBe(
      `${STAGE1} is not in rkt's store (--rkt-data-dir ${join(dir, "data")}) and could not be fetched: fetch: discovery failed`,
    );
    expect(c.fix).toContain("--rkt-stage1-name");
    expect(c.fix).toContain("fetch file:///path/to/stage1.aci");
    expect(report.exitCode).toBe(1);
  });

  test("rkt's default stage1 with an empty store and no ACI found: warn", async () => {
    const c = check(await collectDoctorReport(options(), host()), "stage1");
    expect(c.status).toBe("warn");
    expect(c.found).toMatch(/^no stage1 image in rkt's store/);
  });

  test("a fly stage1 cannot run sandbox pods: FAIL", async () => {
    const c = check(await collectDoctorReport(options("--rkt-stage1-name=coreos.com/rkt/stage1-fly:1.30.0"), host()), "stage1");
    expect(c.status).toBe("fail");
    expect(c.found).toContain("no app entrypoints");
  });
});

describe("data directory propagation", () => {
  test("not shared with --rkt-shared-mount=false: FAIL with the mount commands as the fix", async () => {
    const data = join(dir, "data");
    mkdirSync(data);
    const { code, line } = await doctor(options("--rkt-shared-mount=false"));
    expect(code).toBe(1);
    expect(line("data dir propagation")).toMatch(
      new RegExp(
        `^FAIL {2}data dir propagation: ${data} is not a mount point \\(it lies on .*\\), and --rkt-shared-mount=false: .*status 203`,
      ),
    );
    expect(line("data dir propagation")).toContain(
      `fix: run \`mount --bind ${data} ${data} && mount --make-rshared ${data}\` before rktlet (e.g. from a mount unit), or drop --rkt-shared-mount=false`,
    );
  });

  test("not shared with --rkt-shared-mount=true: ok, the daemon makes it shared", async () => {
    const c = check(await collectDoctorReport(options(), host()), "data-mount");
    expect(c.status).toBe("ok");
    expect(c.found).toContain("rktlet makes it a shared bind mount at start-up");
  });

  rootOnly("a real shared bind mount with --rkt-shared-mount=false: ok", async () => {
    const data = join(dir, "data");
    mkdirSync(data);
    execFileSync("mount", ["--bind", data, data]);
    try {
      execFileSync("mount", ["--make-rshared", data]);
      const c = check(await collectDoctorReport(options("--rkt-shared-mount=false"), host()), "data-mount");
      expect(c.status).toBe("ok");
      expect(c.found).toMatch(new RegExp(`^${data} is a shared mount \\(shared:\\d+\\)$`));
    } finally {
      execFileSync("umount", [data]);
    }
  });
});

describe("unit manager", () => {
  test("process with an unwritable state directory: FAIL naming --state-dir", async () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "");
    const o = options(`--state-dir=${join(blocker, "state")}`);
    const report = await collectDoctorReport(o, host());
    const c = check(report, "units");
    expect(c.status).toBe("fail");
    expect(c.found).toBe(
      `process (--unit-manager process); cannot write its state directory ${join(blocker, "state", "units")}: ${blocker} is not a directory`,
    );
    expect(c.fix).toContain("--state-dir");
    expect(report.exitCode).toBe(1);
  });

  rootOnly("process with a read-only state directory (root is not stopped by modes, only by the mount): FAIL", async () => {
    const state = join(dir, "state");
    mkdirSync(state);
    execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", state]);
    try {
      const c = check(await collectDoctorReport(options(), host()), "units");
      expect(c.status).toBe("fail");
      expect(c.found).toMatch(/EROFS/);
    } finally {
      execFileSync("umount", [state]);
    }
  });

  test("auto without systemd picks process", async () => {
    const c = check(await collectDoctorReport(options("--unit-manager=auto"), host()), "units");
    expect(c.status).toBe("ok");
    expect(c.found).toMatch(/^process \(auto: no .*no-systemd, so no systemd\)/);
  });

  test("systemd that neither runs nor answers on the bus: FAIL pointing at --unit-manager process", async () => {
    const bus = join(dir, "no-bus");
    const report = await collectDoctorReport(
      options("--unit-manager=systemd"),
      host({ env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${bus}` } }),
    );
    const c = check(report, "units");
    expect(c.status).toBe("fail");
    expect(c.found).toContain(`does not run this host (no ${join(dir, "no-systemd")})`);
    expect(c.found).toContain(bus);
    expect(c.fix).toContain("--unit-manager process");
  });
});

describe("CRI socket", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  test("served by another process: warn, and warnings alone exit 0", async () => {
    prefetchStage1();
    const sock = join(dir, "run", "rktlet.sock");
    mkdirSync(join(dir, "run"));
    server = createServer((c) => c.destroy());
    await new Promise<void>((resolve) => server?.listen(sock, resolve));
    const { code, line } = await doctor(options());
    expect(line("CRI socket")).toBe(
      `warn  CRI socket: another process already serves ${sock} (a running rktlet?); a new rktlet would refuse to start on it; fix: stop that process first, or choose another --listen path`,
    );
    expect(code).toBe(0);
  });

  test("a stale socket is ok (the daemon removes it); a regular file in the way is a FAIL", async () => {
    const sock = join(dir, "stale.sock");
    // a process that dies while listening leaves its socket file behind
    spawnSync(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    expect(existsSync(sock)).toBe(true);
    const stale = check(await collectDoctorReport(options(`--listen=${sock}`), host()), "socket");
    expect(stale.status).toBe("ok");
    expect(stale.found).toContain("a stale socket from an earlier run is there");

    const file = join(dir, "not-a-socket");
    writeFileSync(file, "");
    const blocked = check(await collectDoctorReport(options(`--listen=${file}`), host()), "socket");
    expect(blocked).toMatchObject({ status: "fail", found: `${file} exists and is not a socket; rktlet will not replace it` });
  });

  test("a directory anyone may write to without the sticky bit: warn", async () => {
    const open = join(dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const c = check(await collectDoctorReport(options(`--listen=${join(open, "r.sock")}`), host()), "socket");
    expect(c.status).toBe("warn");
    expect(c.found).toContain("(mode 0777) is writable by others");
  });

  test("a path too long for a unix socket: FAIL", async () => {
    const long = join(dir, "x".repeat(120), "r.sock");
    const c = check(await collectDoctorReport(options(`--listen=${long}`), host()), "socket");
    expect(c.status).toBe("fail");
    expect(c.found).toContain("over the 107 a unix socket path may have");
  });
});

describe("cgroups", () => {
  const line = (id: number, fs: string, mountPoint: string, opts: string) =>
    `${id} 1 0:${id} / ${mountPoint} rw,relatime shared:${id} - ${fs} ${fs} ${opts}`;

  test("v2, v1 and hybrid layouts, and no cgroups at all", async () => {
    const unified = join(dir, "cgroup2");
    mkdirSync(unified);
    writeFileSync(join(unified, "cgroup.controllers"), "cpuset cpu io pids\n");
    const layouts: Record<string, string> = {
      v2: line(30, "cgroup2", unified, "rw"),
      v1: ["cpu,cpuacct", "memory", "pids", "name=systemd"]
        .map((c, i) => line(40 + i, "cgroup", `/sys/fs/cgroup/${c}`, `rw,${c}`))
        .join("\n"),
      hybrid: [
        line(50, "cgroup", "/sys/fs/cgroup/cpu", "rw,cpu,cpuacct"),
        line(51, "cgroup", "/sys/fs/cgroup/memory", "rw,memory"),
        line(52, "cgroup", "/sys/fs/cgroup/pids", "rw,pids"),
        line(53, "cgroup2", "/sys/fs/cgroup/unified", "rw"),
      ].join("\n"),
      none: line(60, "ext4", "/", "rw"),
    };
    const results: Record<string, CheckResult> = {};
    for (const [name, text] of Object.entries(layouts)) {
      const path = join(dir, `mountinfo-${name}`);
      writeFileSync(path, `${text}\n`);
      results[name] = check(await collectDoctorReport(options(), host({ mountinfoPath: path })), "cgroups");
    }
    expect(results.v2).toMatchObject({
      status: "warn",
      found: `v2 (unified, at ${unified}; controllers: cpuset cpu io pids); missing memory`,
    });
    expect(results.v1).toMatchObject({ status: "ok", found: "v1; v1 controllers: cpu, cpuacct, memory, pids" });
    expect(results.hybrid).toMatchObject({ status: "ok" });
    expect(results.hybrid?.found).toMatch(/^hybrid \(v1 controllers; unified hierarchy at \/sys\/fs\/cgroup\/unified\)/);
    expect(results.none?.status).toBe("fail");
  });

  test("cgroup driver: systemd units need kubelet's systemd driver", async () => {
    const kubelet = join(dir, "kubelet.yaml");
    const o = options("--unit-manager=systemd");
    const unknown = check(await collectDoctorReport(o, host({ kubeletConfigPath: kubelet })), "cgroup-driver");
    expect(unknown.status).toBe("warn");
    expect(unknown.fix).toContain("cgroupDriver: systemd");

    writeFileSync(kubelet, "kind: KubeletConfiguration\ncgroupDriver: cgroupfs\n");
    const wrong = check(await collectDoctorReport(o, host({ kubeletConfigPath: kubelet })), "cgroup-driver");
    expect(wrong.status).toBe("fail");
    expect(wrong.found).toContain(`${kubelet} says cgroupDriver: cgroupfs`);

    writeFileSync(kubelet, "kind: KubeletConfiguration\ncgroupDriver: systemd\n");
    const right = check(await collectDoctorReport(o, host({ kubeletConfigPath: kubelet })), "cgroup-driver");
    expect(right.status).toBe("ok");
  });
});

describe("network, root and free space", () => {
  test("--net needs a CNI configuration of that name in rkt's net.d", async () => {
    const netd = join(dir, "etc-rkt", "net.d");
    mkdirSync(netd, { recursive: true });
    writeFileSync(join(netd, "10-pods.conf"), JSON.stringify({ name: "pods", type: "bridge" }));
    writeFileSync(join(netd, "20-junk.conf"), "not json");
    const found = check(await collectDoctorReport(options("--net=pods"), host()), "network");
    expect(found).toMatchObject({ status: "ok" });
    expect(found.found).toBe(`--net pods: ${join(netd, "10-pods.conf")} (type bridge); ignored in ${netd}: 20-junk.conf (not JSON)`);
    const missing = check(await collectDoctorReport(options("--net=other"), host()), "network");
    expect(missing.status).toBe("fail");
    expect(missing.found).toContain("(it has: pods)");
    expect(missing.fix).toContain("--net");
  });

  test("not root: FAIL", async () => {
    const report = await collectDoctorReport(options(), host({ uid: 1000 }));
    expect(check(report, "root")).toMatchObject({ status: "fail", found: "uid 1000: rkt needs root (namespaces, mounts, cgroups)" });
    expect(report.exitCode).toBe(1);
  });

  rootOnly("a data directory on a nearly full file system: FAIL", async () => {
    const data = join(dir, "data");
    mkdirSync(data);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", data]);
    try {
      const c = check(await collectDoctorReport(options(), host()), "disk-data");
      expect(c.status).toBe("fail");
      expect(c.found).toMatch(new RegExp(`^${data}: 16 MiB free of 16 MiB`));
      expect(c.fix).toContain("--rkt-data-dir");
    } finally {
      execFileSync("umount", [data]);
    }
  });
});
