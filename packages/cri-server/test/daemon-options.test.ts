import { DEFAULTS, parseCommandLine } from "../src/daemon/options";

describe("rktlet flags", () => {
  test("defaults", () => {
    expect(parseCommandLine([])).toEqual({
      kind: "run",
      options: {
        listen: "/var/run/rktlet.sock",
        backend: "rkt",
        rktPath: DEFAULTS.rktPath,
        rktDataDir: "/var/lib/rktlet/data",
        rktStage1Name: "",
        stateDir: "/var/lib/rktlet/state",
        rktInsecureOptions: ["image", "ondisk"],
        rktSharedMount: true,
        unitManager: "auto",
        systemdTransport: "dbus",
        podLogRoot: "/var/log/pods",
        rktStage1Allowed: [],
        net: "default",
        streamServerAddress: "127.0.0.1:10241",
        streamTlsCert: "",
        streamTlsKey: "",
        streamIdleTimeoutSeconds: 14400,
        metricsAddress: "",
        logLevel: "info",
        shutdownGraceSeconds: 10,
      },
    });
  });

  test("every flag is read", () => {
    const cmd = parseCommandLine([
      "--listen=/run/r.sock",
      "--backend",
      "fake",
      "--rkt-path=/opt/rkt",
      "--rkt-data-dir=/data",
      "--rkt-stage1-name=coreos.com/rkt/stage1-coreos:1.30.0",
      "--net=host",
      "--state-dir=/state",
      "--rkt-insecure-options=image,ondisk,http,tls",
      "--rkt-shared-mount=false",
      "--unit-manager=process",
      "--systemd-transport=cli",
      "--pod-log-root=/logs",
      "--rkt-stage1-allowed=coreos.com/rkt/stage1-kvm:1.30.0,coreos.com/rkt/stage1-coreos:1.30.0",
      "--stream-server-address=[::1]:0",
      "--stream-tls-cert=/etc/rktlet/tls.crt",
      "--stream-tls-key=/etc/rktlet/tls.key",
      "--stream-idle-timeout=600",
      "--metrics-address=127.0.0.1:9101",
      "--log-level=debug",
      "--shutdown-grace=3",
    ]);
    expect(cmd).toEqual({
      kind: "run",
      options: {
        listen: "/run/r.sock",
        backend: "fake",
        rktPath: "/opt/rkt",
        rktDataDir: "/data",
        rktStage1Name: "coreos.com/rkt/stage1-coreos:1.30.0",
        stateDir: "/state",
        rktInsecureOptions: ["image", "ondisk", "http", "tls"],
        rktSharedMount: false,
        unitManager: "process",
        systemdTransport: "cli",
        podLogRoot: "/logs",
        rktStage1Allowed: ["coreos.com/rkt/stage1-kvm:1.30.0", "coreos.com/rkt/stage1-coreos:1.30.0"],
        net: "host",
        streamServerAddress: "[::1]:0",
        streamTlsCert: "/etc/rktlet/tls.crt",
        streamTlsKey: "/etc/rktlet/tls.key",
        streamIdleTimeoutSeconds: 600,
        metricsAddress: "127.0.0.1:9101",
        logLevel: "debug",
        shutdownGraceSeconds: 3,
      },
    });
  });

  test("--help and --version win over everything else", () => {
    expect(parseCommandLine(["--backend=nope", "--help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["--version"])).toEqual({ kind: "version" });
  });

  test.each([
    [["--backend=docker"], /^--backend: /],
    [["--listen=relative.sock"], /^--listen: must be an absolute path$/],
    [["--rkt-data-dir=data"], /^--rkt-data-dir: must be an absolute path$/],
    [["--stream-server-address=1.2.3.4:99999"], /^--stream-server-address: port must be at most 65535$/],
    [["--log-level=loud"], /^--log-level: /],
    [["--rkt-insecure-options=image;rm"], /^--rkt-insecure-options: must be a comma-separated list/],
    [["--state-dir=state"], /^--state-dir: must be an absolute path$/],
    [["--unit-manager=upstart"], /^--unit-manager: /],
    [["--pod-log-root=logs"], /^--pod-log-root: must be an absolute path$/],
    [["--shutdown-grace=-1"], /^--shutdown-grace: /],
    [["--systemd-transport=varlink"], /^--systemd-transport: /],
    [["--stream-tls-cert=/a.crt"], /^--stream-tls-cert: needs --stream-tls-key/],
    [["--stream-tls-key=key.pem"], /^--stream-tls-key: must be an absolute path$/],
    [["--stream-idle-timeout=0"], /^--stream-idle-timeout: /],
    [["--metrics-address=9101"], /^--metrics-address: must be HOST:PORT$/],
    [["--metrics-address=[::1]:70000"], /^--metrics-address: port must be at most 65535$/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["positional"], /positional/],
  ])("%j is refused with a message naming the flag", (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe("unit manager choice", () => {
  const { createUnitManager } = require("../src/daemon/backends") as typeof import("../src/daemon/backends");
  const { silentLogger } = require("@rktlet/core") as typeof import("@rktlet/core");
  const options = (unitManager: string, transport = "dbus") => {
    const cmd = parseCommandLine([`--unit-manager=${unitManager}`, `--systemd-transport=${transport}`, "--state-dir=/tmp/rktlet-choice"]);
    if (cmd.kind !== "run") throw new Error("expected options");
    return cmd.options;
  };

  test("explicit choices are honoured and say so", () => {
    expect(createUnitManager(options("process"), silentLogger)).toMatchObject({
      units: { kind: "process" },
      reason: "--unit-manager process",
    });
    expect(createUnitManager(options("systemd"), silentLogger)).toMatchObject({
      units: { kind: "systemd", cgroupDriver: "systemd" },
      reason: "--unit-manager systemd",
    });
    expect(createUnitManager(options("systemd", "cli"), silentLogger)).toMatchObject({
      units: { kind: "systemd-cli", cgroupDriver: "systemd" },
    });
  });

  test("auto picks systemd exactly when /run/systemd/system exists, and gives the reason", () => {
    const booted = require("node:fs").existsSync("/run/systemd/system") as boolean;
    const chosen = createUnitManager(options("auto"), silentLogger);
    expect(chosen.units.kind).toBe(booted ? "systemd" : "process");
    expect(chosen.reason).toContain("/run/systemd/system");
  });
});
