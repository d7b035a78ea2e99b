import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfigText, renderDefaultConfig } from "../src/config/file";
import { checkConfigFile } from "../src/config/resolve";
import { DEFAULT_CONFIG_PATH, envName, SETTINGS } from "../src/config/settings";
import { checkRktBinary } from "../src/daemon/backends";
import { ConfigError, type DaemonOptions, DEFAULTS, optionsSchema, parseCommandLine, type Sources } from "../src/daemon/options";

const DEFAULT_OPTIONS = optionsSchema.parse(DEFAULTS);

/** A file system of config files only: readFile fails like fs does for anything else. */
function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
    return text;
  };
}

function run(argv: string[], sources: Sources = {}): DaemonOptions {
  const cmd = parseCommandLine(argv, { readFile: files({}), ...sources });
  if (cmd.kind !== "run") throw new Error(`expected run, got ${cmd.kind}`);
  return cmd.options;
}

/** The first line of the error parseCommandLine throws, with its hint. */
function refusal(argv: string[], sources: Sources = {}): { message: string; hint: string } {
  try {
    parseCommandLine(argv, { readFile: files({}), ...sources });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.message).not.toContain("\n");
    return { message: err.message, hint: err.hint };
  }
  throw new Error("expected a refusal");
}

// One non-default value per setting, as a flag would give it and as the file writes it.
const EVERY: { flag: string; text: string; toml: string }[] = [
  { flag: "--listen", text: "/run/r.sock", toml: '"/run/r.sock"' },
  { flag: "--backend", text: "fake", toml: '"fake"' },
  { flag: "--state-dir", text: "/state", toml: '"/state"' },
  { flag: "--shutdown-grace", text: "3", toml: "3" },
  { flag: "--rkt-path", text: "/opt/rkt", toml: '"/opt/rkt"' },
  { flag: "--rkt-data-dir", text: "/data", toml: '"/data"' },
  { flag: "--rkt-stage1-name", text: "coreos.com/rkt/stage1-coreos:1.30.0", toml: '"coreos.com/rkt/stage1-coreos:1.30.0"' },
  {
    flag: "--rkt-stage1-allowed",
    text: "coreos.com/rkt/stage1-kvm:1.30.0,coreos.com/rkt/stage1-coreos:1.30.0",
    toml: '["coreos.com/rkt/stage1-kvm:1.30.0", "coreos.com/rkt/stage1-coreos:1.30.0"]',
  },
  { flag: "--rkt-insecure-options", text: "image,ondisk,http,tls", toml: '["image", "ondisk", "http", "tls"]' },
  { flag: "--rkt-shared-mount", text: "false", toml: "false" },
  { flag: "--net", text: "host", toml: '"host"' },
  { flag: "--pod-log-root", text: "/logs", toml: '"/logs"' },
  { flag: "--unit-manager", text: "process", toml: '"process"' },
  { flag: "--systemd-transport", text: "cli", toml: '"cli"' },
  { flag: "--stream-server-address", text: "[::1]:0", toml: '"[::1]:0"' },
  { flag: "--stream-tls-cert", text: "/etc/rktlet/tls.crt", toml: '"/etc/rktlet/tls.crt"' },
  { flag: "--stream-tls-key", text: "/etc/rktlet/tls.key", toml: '"/etc/rktlet/tls.key"' },
  { flag: "--stream-idle-timeout", text: "600", toml: "600" },
  { flag: "--metrics-address", text: "127.0.0.1:9101", toml: '"127.0.0.1:9101"' },
  { flag: "--log-level", text: "debug", toml: '"debug"' },
];

const setting = (flag: string) => {
  const x = SETTINGS.find((s) => s.flag === flag);
  if (!x) throw new Error(`no setting for ${flag}`);
  return x;
};

/** A file setting each EVERY entry, grouped into its sections. */
function everyAsToml(): string {
  const bySection = new Map<string, string[]>();
  for (const e of EVERY) {
    const x = setting(e.flag);
    bySection.set(x.section, [...(bySection.get(x.section) ?? []), `${x.name} = ${e.toml}`]);
  }
  return [...bySection].map(([section, lines]) => `[${section}]\n${lines.join("\n")}\n`).join("\n");
}

describe("the settings table", () => {
  test("names every option exactly once, with distinct flags, variables and file keys", () => {
    expect(SETTINGS.map((x) => x.key).sort()).toEqual(Object.keys(optionsSchema.shape).sort());
    expect(EVERY.map((e) => e.flag).sort()).toEqual(SETTINGS.map((x) => x.flag).sort());
    const distinct = (xs: string[]) => new Set(xs).size === xs.length;
    expect(distinct(SETTINGS.map((x) => x.flag))).toBe(true);
    expect(distinct(SETTINGS.map((x) => envName(x.flag)))).toBe(true);
    expect(distinct(SETTINGS.map((x) => `${x.section}.${x.name}`))).toBe(true);
    for (const x of SETTINGS) expect(x.name).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  test("environment variable names follow the flag names", () => {
    expect(envName("--listen")).toBe("RKTLET_LISTEN");
    expect(envName("--rkt-data-dir")).toBe("RKTLET_RKT_DATA_DIR");
    expect(envName("--stream-idle-timeout")).toBe("RKTLET_STREAM_IDLE_TIMEOUT");
  });
});

describe("rktlet config default", () => {
  const text = renderDefaultConfig();

  test("parses back to exactly the defaults, and sets every key", () => {
    const values = parseConfigText(text, "default.toml");
    expect(Object.keys(values).sort()).toEqual(SETTINGS.map((x) => x.key).sort());
    expect(values).toEqual(DEFAULT_OPTIONS);
    expect(checkConfigFile("d.toml", files({ "d.toml": text }))).toEqual(DEFAULT_OPTIONS);
  });

  test("every key has a one-line comment above it naming its flag and variable", () => {
    const lines = text.split("\n");
    let section = "";
    const seen: string[] = [];
    lines.forEach((line, i) => {
      const header = /^\[(\w+)\]$/.exec(line);
      if (header) section = header[1] as string;
      const key = /^(\w+) = /.exec(line)?.[1];
      if (key === undefined) return;
      const x = SETTINGS.find((s) => s.section === section && s.name === key);
      if (!x) throw new Error(`unknown key ${section}.${key}`);
      expect(lines[i - 1]).toMatch(new RegExp(`^# \\S.*\\[${x.flag}, ${envName(x.flag)}\\]$`));
      seen.push(x.key);
    });
    expect(seen.sort()).toEqual(SETTINGS.map((x) => x.key).sort());
  });
});

describe("the config file", () => {
  test("every key of the file sets what its flag sets", () => {
    const fromFlags = run(EVERY.map((e) => `${e.flag}=${e.text}`));
    const fromFile = run(["--config=/c.toml"], { readFile: files({ "/c.toml": everyAsToml() }) });
    expect(fromFile).toEqual(fromFlags);
    expect(fromFile).not.toEqual(DEFAULT_OPTIONS);
  });

  test("every environment variable sets what its flag sets", () => {
    const env = Object.fromEntries(EVERY.map((e) => [envName(e.flag), e.text]));
    expect(run([], { env })).toEqual(run(EVERY.map((e) => `${e.flag}=${e.text}`)));
  });

  test("the default file is read when present; its absence means the defaults", () => {
    const cmd = parseCommandLine([], { readFile: files({ [DEFAULT_CONFIG_PATH]: '[server]\nbackend = "fake"\n' }) });
    expect(cmd).toMatchObject({ kind: "run", options: { backend: "fake" }, configFile: DEFAULT_CONFIG_PATH });
    expect(parseCommandLine([], { readFile: files({}) })).toEqual({ kind: "run", options: DEFAULT_OPTIONS, configFile: undefined });
  });

  test("RKTLET_CONFIG names the file; --config wins over it; an empty value reads no file", () => {
    const readFile = files({
      "/a.toml": "[log]\nlevel = 'warn'\n",
      "/b.toml": "[log]\nlevel = 'error'\n",
      [DEFAULT_CONFIG_PATH]: "[log]\nlevel = 'debug'\n",
    });
    expect(run([], { readFile, env: { RKTLET_CONFIG: "/a.toml" } }).logLevel).toBe("warn");
    expect(run(["--config", "/b.toml"], { readFile, env: { RKTLET_CONFIG: "/a.toml" } }).logLevel).toBe("error");
    expect(run([], { readFile }).logLevel).toBe("debug");
    expect(run(["--config="], { readFile }).logLevel).toBe("info");
    expect(run([], { readFile, env: { RKTLET_CONFIG: "" } }).logLevel).toBe("info");
  });
});

describe("precedence: flags > environment > file > defaults", () => {
  const readFile = files({
    "/c.toml":
      "[server]\nlisten = '/file.sock'\n[rkt]\ninsecure_options = ['image']\nshared_mount = false\n[streaming]\nidle_timeout = 60\n",
  });
  const config = ["--config=/c.toml"];

  test.each([
    ["listen", "--listen", "/flag.sock", "/env.sock", "/file.sock", "/flag.sock", "/env.sock"],
    ["rktInsecureOptions", "--rkt-insecure-options", "http", "tls", ["image"], ["http"], ["tls"]],
    ["rktSharedMount", "--rkt-shared-mount", "false", "true", false, false, true],
    ["streamIdleTimeoutSeconds", "--stream-idle-timeout", "30", "45", 60, 30, 45],
  ] as const)("%s", (key, flag, flagText, envText, fileValue, flagValue, envValue) => {
    const env = { [envName(flag)]: envText };
    expect(run([...config, `${flag}=${flagText}`], { readFile, env })[key]).toEqual(flagValue);
    expect(run(config, { readFile, env })[key]).toEqual(envValue);
    expect(run(config, { readFile })[key]).toEqual(fileValue);
    expect(run([], { readFile })[key]).toEqual(DEFAULT_OPTIONS[key]);
  });

  test("unrelated RKTLET_ variables (test knobs, RKTLET_CONFIG) are not settings", () => {
    expect(run([], { env: { RKTLET_REQUIRE_SYSTEMD: "1", RKTLET_FUZZ_RUNS: "5", RKTLET_LISTENING: "x" } })).toEqual(DEFAULT_OPTIONS);
  });

  test("the TLS pair may come from two sources, and a lone half is blamed in its source's words", () => {
    const readFile = files({ "/c.toml": "[streaming]\ntls_cert = '/c.crt'\n" });
    expect(run(["--config=/c.toml", "--stream-tls-key=/k.key"], { readFile })).toMatchObject({
      streamTlsCert: "/c.crt",
      streamTlsKey: "/k.key",
    });
    expect(refusal(["--config=/c.toml"], { readFile }).message).toBe(
      "/c.toml: streaming.tls_cert: needs streaming.tls_key too (and the other way round)",
    );
    expect(refusal([], { env: { RKTLET_STREAM_TLS_KEY: "/k.key" } }).message).toBe(
      "RKTLET_STREAM_TLS_KEY: needs RKTLET_STREAM_TLS_CERT too (and the other way round)",
    );
  });
});

describe("errors name the file and the key", () => {
  const refuseFile = (toml: string) => refusal(["--config=/etc/r.toml"], { readFile: files({ "/etc/r.toml": toml }) });

  test.each([
    ["[rkt]\ndata_dir = 'data'\n", "/etc/r.toml: rkt.data_dir: must be an absolute path"],
    ["[rkt]\ndta_dir = '/x'\n", /^\/etc\/r\.toml: rkt\.dta_dir: unknown key; \[rkt\] takes path, data_dir, /],
    ["[rkt]\ndata-dir = '/x'\n", "/etc/r.toml: rkt.data-dir: unknown key; did you mean rkt.data_dir?"],
    ["listen = '/x.sock'\n", "/etc/r.toml: listen: unknown key; did you mean server.listen?"],
    ["[server]\nrkt_data_dir = '/x'\n", "/etc/r.toml: server.rkt_data_dir: unknown key; did you mean rkt.data_dir?"],
    [
      "[rtk]\npath = '/x'\n",
      /^\/etc\/r\.toml: rtk: unknown section; the sections are \[server\], \[rkt\], \[streaming\], \[metrics\], \[log\]$/,
    ],
    ["rkt = 5\n", "/etc/r.toml: rkt: expected a table ([rkt])"],
    ["[rkt]\ndata_dir = 5\n", "/etc/r.toml: rkt.data_dir: expected a string"],
    ["[rkt]\nshared_mount = 'false'\n", "/etc/r.toml: rkt.shared_mount: expected true or false"],
    ["[rkt]\ninsecure_options = 'image,http'\n", /^\/etc\/r\.toml: rkt\.insecure_options: expected an array of strings/],
    ["[rkt]\ninsecure_options = ['image', 'ht;tp']\n", /^\/etc\/r\.toml: rkt\.insecure_options: must be a comma-separated list/],
    [
      "[rkt]\ninsecure_options = ['image,http']\n",
      "/etc/r.toml: rkt.insecure_options[0]: an item cannot contain a comma; make it two items",
    ],
    ["[server]\nbackend = 'docker'\n", /^\/etc\/r\.toml: server\.backend: /],
    ["[server]\nshutdown_grace = '10'\n", "/etc/r.toml: server.shutdown_grace: expected a number"],
    ["[streaming]\nidle_timeout = 0\n", "/etc/r.toml: streaming.idle_timeout: must be at least 1 seconds"],
    ["[metrics]\naddress = '9101'\n", "/etc/r.toml: metrics.address: must be HOST:PORT"],
    ["[log]\nlevel = 'loud'\n", /^\/etc\/r\.toml: log\.level: /],
    ["[server]\nbackend = \n", "/etc/r.toml:2:11: not valid TOML: invalid value"],
    ["[rkt]\npath = '/a'\npath = '/b'\n", /^\/etc\/r\.toml:3:\d+: not valid TOML: /],
  ])("%j", (toml, message) => {
    const r = refuseFile(toml);
    expect(r.message).toMatch(typeof message === "string" ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) : message);
    expect(r.hint).toBe("rktlet config default prints a valid file");
  });

  test("a bad environment variable is named", () => {
    expect(refusal([], { env: { RKTLET_RKT_DATA_DIR: "data" } }).message).toBe("RKTLET_RKT_DATA_DIR: must be an absolute path");
    expect(refusal([], { env: { RKTLET_SHUTDOWN_GRACE: "soon" } }).message).toBe("RKTLET_SHUTDOWN_GRACE: must be a number of seconds");
  });

  test("a bad flag is reported before a bad file", () => {
    const readFile = files({ "/c.toml": "bogus = 1\n" });
    expect(refusal(["--config=/c.toml", "--listen=rel"], { readFile }).message).toBe("--listen: must be an absolute path");
  });

  test("a config file that cannot be read is an error when named, and the default one only when it exists", () => {
    expect(refusal(["--config=/missing.toml"])).toEqual({
      message: "/missing.toml: cannot read the config file: no such file or directory",
      hint: "fix the --config path",
    });
    expect(refusal([], { env: { RKTLET_CONFIG: "/missing.toml" } }).hint).toBe("fix RKTLET_CONFIG");
    const denied = (path: string): string => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
    };
    expect(refusal([], { readFile: denied })).toEqual({
      message: `${DEFAULT_CONFIG_PATH}: cannot read the config file: permission denied`,
      hint: "fix it, or point --config at another file",
    });
  });

  test("a directory given as the file is refused (the real file system)", () => {
    const dir = mkdtempSync(join(tmpdir(), "rktlet-config-"));
    try {
      expect(() => parseCommandLine([`--config=${dir}`])).toThrow(`${dir}: cannot read the config file: illegal operation on a directory`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("commands", () => {
  test("subcommands and their arguments", () => {
    expect(parseCommandLine(["version"])).toEqual({ kind: "version" });
    expect(parseCommandLine(["help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["config", "default"])).toEqual({ kind: "config-default" });
    expect(parseCommandLine(["config", "check", "/x.toml"])).toEqual({ kind: "config-check", file: "/x.toml" });
    expect(parseCommandLine(["config", "check"])).toEqual({ kind: "config-check", file: DEFAULT_CONFIG_PATH });
    expect(parseCommandLine(["config", "check", "--config=/y.toml"])).toEqual({ kind: "config-check", file: "/y.toml" });
    expect(parseCommandLine(["config", "check"], { env: { RKTLET_CONFIG: "/z.toml" } })).toEqual({ kind: "config-check", file: "/z.toml" });
    expect(parseCommandLine(["config", "check", "--help"])).toEqual({ kind: "help" });
  });

  test("doctor resolves its settings exactly as the daemon does", () => {
    const sources: Sources = {
      env: { RKTLET_RKT_DATA_DIR: "/env-data" },
      readFile: files({ "/c.toml": "[rkt]\npath = '/file/rkt'\ndata_dir = '/file-data'\n" }),
    };
    const argv = ["--config=/c.toml", "--state-dir=/flag-state"];
    const doctor = parseCommandLine(["doctor", ...argv], sources);
    expect(doctor).toEqual({ ...parseCommandLine(argv, sources), kind: "doctor" });
    expect(doctor).toMatchObject({ options: { rktPath: "/file/rkt", rktDataDir: "/env-data", stateDir: "/flag-state" } });
  });

  test.each([
    [["frobnicate"], /^unknown command "frobnicate"; the commands are config default, config check \[FILE\], doctor and version/],
    [["doctor", "now"], /^doctor: unexpected "now"$/],
    [["config"], /^config: needs a subcommand; use "config default" or "config check \[FILE\]"$/],
    [["config", "show"], /^config show: not a config command/],
    [["config", "check", "a", "b"], /^config check a b: not a config command/],
    [["config", "default", "--listen=/x.sock"], /^--listen: not used by "rktlet config"$/],
    [["config", "default", "--config=/x.toml"], /^--config: not used by "rktlet config default"$/],
    [["version", "2"], /^version: unexpected "2"$/],
    [["--frobnicate"], /^Unknown option '--frobnicate'$/],
    [["--listen"], /^Option '--listen <value>' argument missing$/],
  ])("%j is refused in one line", (argv, message) => {
    expect(refusal(argv).message).toMatch(message);
  });
});

describe("checkConfigFile (rktlet config check)", () => {
  test("a good file gives its settings over the defaults; a bad or missing one names the problem", () => {
    const readFile = files({ "/ok.toml": "[server]\nbackend = 'fake'\n", "/bad.toml": "[server]\nbakend = 'fake'\n" });
    expect(checkConfigFile("/ok.toml", readFile)).toEqual({ ...DEFAULT_OPTIONS, backend: "fake" });
    expect(() => checkConfigFile("/bad.toml", readFile)).toThrow("/bad.toml: server.bakend: unknown key; [server] takes listen, backend,");
    expect(() => checkConfigFile("/none.toml", readFile)).toThrow("/none.toml: cannot read the config file: no such file or directory");
    expect(() => checkConfigFile("/tls.toml", files({ "/tls.toml": "[streaming]\ntls_key = '/k'\n" }))).toThrow(
      "/tls.toml: streaming.tls_key: needs streaming.tls_cert too",
    );
  });
});

describe("the rkt binary check at start-up", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rktlet-rktbin-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("a missing, unexecutable or directory rkt is refused naming every way to set it; a runnable one passes", () => {
    const ways = "set --rkt-path (or RKTLET_RKT_PATH, or rkt.path in the config file) to the rkt binary";
    expect(() => checkRktBinary(join(dir, "rkt"))).toThrow(`--rkt-path ${join(dir, "rkt")}: no such file; install rkt there or ${ways}`);
    expect(() => checkRktBinary("rkt", dir)).toThrow(`--rkt-path rkt: not found in PATH; install rkt in PATH or ${ways}`);
    writeFileSync(join(dir, "rkt"), "#!/bin/sh\n");
    chmodSync(join(dir, "rkt"), 0o644);
    expect(() => checkRktBinary(join(dir, "rkt"))).toThrow(`--rkt-path ${join(dir, "rkt")}: not executable; chmod +x it, or ${ways}`);
    mkdirSync(join(dir, "sub"));
    expect(() => checkRktBinary(join(dir, "sub"))).toThrow("is a directory");
    chmodSync(join(dir, "rkt"), 0o755);
    expect(() => checkRktBinary(join(dir, "rkt"))).not.toThrow();
    expect(() => checkRktBinary("rkt", `/nonexistent:${dir}`)).not.toThrow();
  });
});
