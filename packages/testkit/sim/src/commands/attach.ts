/**
 * `rkt attach [--app=NAME] [--mode=MODE] UUID`: `--mode=list` prints the app's endpoints; the other modes
 * (auto, or a list of stdin/stdout/stderr) connect to the app's iottymux sockets and relay raw bytes until
 * the app stops.
 */
import type * as net from "node:net";
import * as path from "node:path";
import type { Context } from "../cli/command";
import { CliError, EXIT_FAIL, fail } from "../errors";
import { connectUnix } from "../ipc/client";
import { iottymuxRel, podDir } from "../store/paths";
import { podState } from "../store/pods";
import { endpointsJson, streamModes } from "../supervisor/attach";
import { toGoJsonIndent } from "../util/json";
import { stderr, stdout } from "../util/out";
import { pickApp } from "./app-pick";
import { podOrFail } from "./podref";

const STAGE1_FAILURE = "attach failed: error executing stage1 entrypoint: exit status 254";

function connect(file: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = connectUnix(file);
    sock.once("connect", () => resolve(sock));
    sock.once("error", reject);
  });
}

export async function runAttach(ctx: Context): Promise<number> {
  if (ctx.args.length !== 1) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  const pod = podOrFail(ctx, ctx.args[0]!);
  if (podState(pod) === "exited") throw fail(ctx.name, `pod "${pod.uuid}" isn't currently running`);
  const name = pickApp(ctx.name, pod, ctx.flags.str("app"));
  const app = pod.apps.find((a) => a.name === name);
  if (!app || streamModes(app).length === 0) throw fail(ctx.name, STAGE1_FAILURE);
  const mode = ctx.flags.str("mode");
  if (mode === "list") {
    stdout.write(toGoJsonIndent(endpointsJson(app), "    "));
    return 0;
  }
  const available = streamModes(app);
  const wanted = mode === "auto" || mode === "" ? available : mode.split(",");
  for (const w of wanted) if (!available.includes(w as (typeof available)[number])) throw fail(ctx.name, `${STAGE1_FAILURE}`);
  const dir = path.join(podDir(ctx.globals.dir, pod.uuid), iottymuxRel(app.name));
  const socks = new Map<string, net.Socket>();
  for (const s of wanted) {
    try {
      socks.set(s, await connect(path.join(dir, `sock-${s}`)));
    } catch {
      for (const c of socks.values()) c.destroy();
      throw new CliError([
        `iottymux: runtime failure: dial unix /rkt/iottymux/${app.name}/sock-${s}: connect: connection refused`,
        `stage1-attach: error executing "iottymux": exit status 254`,
        `attach: ${STAGE1_FAILURE}`,
      ]);
    }
  }
  return new Promise((resolve) => {
    let open = 0;
    const outputs = wanted.filter((s) => s !== "stdin");
    for (const s of outputs) {
      const sock = socks.get(s)!;
      open++;
      sock.on("data", (d: Buffer) => (s === "stdout" ? stdout.write(d) : stderr.write(d)));
      sock.on("error", () => {});
      sock.on("close", () => {
        if (--open === 0) resolve(0);
      });
    }
    const stdinSock = socks.get("stdin");
    if (stdinSock) {
      stdinSock.on("error", () => {});
      process.stdin.pipe(stdinSock, { end: false });
      // Attach does not end on stdin EOF; with only stdin attached it ends when the app does.
      if (outputs.length === 0) stdinSock.on("close", () => resolve(0));
    }
  });
}
