/**
 * sd_notify READY=1, as systemd-nspawn --notify-ready does for `systemd-run --service-type=notify`.
 * Node has no unix datagram sockets, so `systemd-notify --ready --pid=<sandbox pid>` sends it: as root it
 * stamps the sandbox's pid on the message, which systemd requires from a Type=notify main process.
 * Without systemd-notify, python3 sends the datagram (accepted where NotifyAccess=all); else it is skipped.
 */
import { spawn } from "node:child_process";

const PY = `import os, socket
a = os.environ["NOTIFY_SOCKET"]
if a.startswith("@"): a = "\\0" + a[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(("READY=1\\nMAINPID=%s\\n" % os.environ["RKT_SIM_MAINPID"]).encode(), a)
`;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: "ignore", env });
    child.on("error", () => resolve(false));
    child.on("exit", (code) => resolve(code === 0));
  });
}

export async function notifyReady(env: NodeJS.ProcessEnv): Promise<void> {
  if (!env.NOTIFY_SOCKET) return;
  if (await run("systemd-notify", ["--ready", `--pid=${process.pid}`], env)) return;
  await run("python3", ["-c", PY], { ...env, RKT_SIM_MAINPID: String(process.pid) });
}
