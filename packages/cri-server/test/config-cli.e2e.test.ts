import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, startDaemon, startedLine, stopDaemon, waitForStart } from "./daemon-helpers";

/** The built `rktlet` binary's command line: config commands, help, version and start-up refusals. */

/** The environment without any rktlet setting the developer may have exported, so that the tests see only their own. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("RKTLET_"))),
  RKTLET_CONFIG: "",
  ...extra,
});

function rktlet(args: string[], env: NodeJS.ProcessEnv = cleanEnv()) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rktlet-config-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("rktlet config default | rktlet config check /dev/stdin passes", () => {
  const node = q(process.execPath);
  const r = spawnSync("sh", ["-c", `${node} ${q(BIN)} config default | ${node} ${q(BIN)} config check /dev/stdin`], {
    encoding: "utf8",
    env: cleanEnv(),
  });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("/dev/stdin: OK\n");
  expect(r.status).toBe(0);
});

test("config check refuses a file with a wrong key in one line naming the file and the key", () => {
  const file = join(dir, "config.toml");
  writeFileSync(file, '[rkt]\npath = "/usr/bin/rkt"\ndta_dir = "/var/lib/rktlet/data"\n');
  const r = rktlet(["config", "check", file]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(new RegExp(`^rktlet: ${file}: rkt\\.dta_dir: unknown key; \\[rkt\\] takes path, data_dir, .*\\n$`));
  expect(r.stderr.split("\n")).toHaveLength(2);
});

test("--help names the config file, the environment, the precedence and every subcommand", () => {
  const r = rktlet(["--help"]);
  expect(r.code).toBe(0);
  for (const s of ["rktlet config default", "rktlet config check [FILE]", "rktlet doctor [flags]", "rktlet version", "--config FILE"])
    expect(r.stdout).toContain(s);
  expect(r.stdout).toContain("RKTLET_RKT_DATA_DIR for --rkt-data-dir");
  expect(r.stdout).toMatch(/first match wins: its flag; its environment variable.*; the configuration file/s);
  expect(r.stdout).toContain("/etc/rktlet/config.toml");
});

test("version and --version print the version", () => {
  const { version } = require("../package.json") as { version: string };
  expect(rktlet(["version"])).toEqual({ code: 0, stdout: `rktlet ${version}\n`, stderr: "" });
  expect(rktlet(["--version"])).toEqual({ code: 0, stdout: `rktlet ${version}\n`, stderr: "" });
});

describe("start-up errors are one line that says what to change", () => {
  const oneLine = (r: ReturnType<typeof rktlet>, code: number, message: RegExp) => {
    expect(r.code).toBe(code);
    expect(r.stderr.split("\n")).toEqual([expect.stringMatching(message), ""]);
  };

  test("a missing rkt binary names the setting", () => {
    const r = rktlet([
      `--rkt-path=${join(dir, "no-rkt")}`,
      `--rkt-data-dir=${join(dir, "d")}`,
      `--state-dir=${join(dir, "s")}`,
      `--listen=${join(dir, "cri.sock")}`,
      "--unit-manager=process",
      "--stream-server-address=127.0.0.1:0",
    ]);
    oneLine(r, 1, /^rktlet: --rkt-path \S+no-rkt: no such file; install rkt there or set --rkt-path \(or RKTLET_RKT_PATH, or rkt\.path/);
    expect(existsSync(join(dir, "cri.sock"))).toBe(false);
  });

  test("a bad flag value, a bad environment variable, a bad or missing config file", () => {
    oneLine(rktlet(["--listen=relative.sock"]), 2, /^rktlet: --listen: must be an absolute path \(see rktlet --help\)$/);
    oneLine(rktlet([], cleanEnv({ RKTLET_LOG_LEVEL: "loud" })), 2, /^rktlet: RKTLET_LOG_LEVEL: /);
    const file = join(dir, "bad.toml");
    writeFileSync(file, "[log]\nlevel = 1\n");
    oneLine(
      rktlet([`--config=${file}`]),
      2,
      /^rktlet: \S+bad\.toml: log\.level: expected a string \(rktlet config default prints a valid file\)$/,
    );
    oneLine(
      rktlet([], cleanEnv({ RKTLET_CONFIG: join(dir, "none.toml") })),
      2,
      /^rktlet: \S+none\.toml: cannot read the config file: no such file/,
    );
  });

  test("a --listen path that is not a socket", () => {
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "");
    oneLine(
      rktlet(["--backend=fake", `--listen=${file}`, "--stream-server-address=127.0.0.1:0"]),
      1,
      /^rktlet: \S+not-a-socket exists and is not a socket; remove it or choose another --listen path$/,
    );
  });
});

test("the daemon takes its settings from the file, overridden by the environment, overridden by flags", async () => {
  const file = join(dir, "config.toml");
  writeFileSync(
    file,
    [
      "[server]",
      'backend = "fake"',
      `listen = "${join(dir, "file.sock")}"`,
      "[streaming]",
      'address = "127.0.0.1:0"',
      "[log]",
      'level = "error"',
      "",
    ].join("\n"),
  );
  // The file's log level would hide the "rktlet started" line: that it appears shows the flag won.
  const daemon = startDaemon([`--config=${file}`, "--log-level=info"], cleanEnv({ RKTLET_LISTEN: join(dir, "env.sock") }));
  try {
    await waitForStart(daemon);
    const started = startedLine(daemon);
    expect(started).toMatchObject({ backend: "fake", listen: join(dir, "env.sock"), config: file });
    expect(existsSync(join(dir, "env.sock"))).toBe(true);
    expect(existsSync(join(dir, "file.sock"))).toBe(false);
  } finally {
    await stopDaemon(daemon, "SIGTERM");
  }
});
