import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommandLine } from "../packages/cri-server/src/daemon/options";

/** The install files in deploy/: the unit is valid for systemd, and its flags are the daemon's. */
const DEPLOY = join(__dirname, "..", "deploy");
const unitText = readFileSync(join(DEPLOY, "rktlet.service"), "utf8");

/** The value of a `key: value` line of a small YAML file (no nesting needed here). */
function yamlValue(file: string, key: string): string | undefined {
  const line = readFileSync(join(DEPLOY, file), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim();
}

/** ExecStart= of the unit, its continuation lines joined, split into words (the file uses no quoting). */
function execStart(): string[] {
  const joined = unitText.replace(/\\\n/g, " ");
  const line = joined.split("\n").find((l) => l.startsWith("ExecStart="));
  if (!line) throw new Error("rktlet.service has no ExecStart=");
  return line.slice("ExecStart=".length).trim().split(/\s+/);
}

function systemdAnalyze(): string | undefined {
  try {
    execFileSync("systemd-analyze", ["--version"], { stdio: "ignore" });
    return "systemd-analyze";
  } catch {
    return undefined;
  }
}

test("ExecStart runs rktlet with flags the daemon accepts", () => {
  const [binary, ...args] = execStart();
  expect(binary).toMatch(/\/rktlet$/);
  const command = parseCommandLine(args);
  expect(command.kind).toBe("run");
});

test("kubelet and crictl point at the socket the unit listens on", () => {
  const command = parseCommandLine(execStart().slice(1));
  if (command.kind !== "run") throw new Error("not a run command");
  const endpoint = `unix://${command.options.listen}`;
  expect(yamlValue("kubelet-config.yaml", "containerRuntimeEndpoint")).toBe(endpoint);
  expect(yamlValue("kubelet-config.yaml", "imageServiceEndpoint")).toBe(endpoint);
  expect(yamlValue("kubelet-config.yaml", "cgroupDriver")).toBe("systemd");
  expect(command.options.unitManager).toBe("systemd");
  expect(yamlValue("crictl.yaml", "runtime-endpoint")).toBe(endpoint);
  expect(yamlValue("crictl.yaml", "image-endpoint")).toBe(endpoint);
});

test("the unit keeps pods alive across a daemon restart and starts before kubelet", () => {
  expect(unitText).toMatch(/^KillMode=process$/m);
  expect(unitText).toMatch(/^Restart=always$/m);
  expect(unitText).toMatch(/^Before=kubelet\.service$/m);
  expect(unitText).toMatch(/^After=.*\bnetwork-online\.target\b/m);
});

// `systemd-analyze verify` needs no running systemd (PID 1 here need not be systemd). It insists that
// ExecStart's binary exists, so the copy it checks runs an executable of ours with the same flags.
const analyze = systemdAnalyze();
(analyze ? test : test.skip)("systemd-analyze verify finds nothing to complain about", () => {
  const dir = mkdtempSync(join(tmpdir(), "rktlet-unit-"));
  try {
    const stand = join(dir, "rktlet");
    writeFileSync(stand, "#!/bin/sh\nexit 0\n");
    chmodSync(stand, 0o755);
    const copy = join(dir, "rktlet.service");
    writeFileSync(copy, unitText.replace(/^ExecStart=\S+/m, `ExecStart=${stand}`));
    const r = spawnSync(analyze as string, ["verify", "--man=no", copy], { encoding: "utf8", timeout: 15_000 });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: "" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
