/** The CLI side of the control socket. */
import * as net from "node:net";
import * as path from "node:path";
import { podSocketFile } from "../store/paths";
import type { Request, Response } from "./protocol";

/** The sandbox is not listening (not started yet, or gone). */
export class SupervisorUnreachable extends Error {}

// sun_path holds 108 bytes; longer socket paths are reached relative to their directory.
const MAX_SUN_PATH = 100;

export function connectUnix(sockPath: string): net.Socket {
  if (Buffer.byteLength(sockPath) < MAX_SUN_PATH) return net.createConnection({ path: sockPath });
  const prev = process.cwd();
  process.chdir(path.dirname(sockPath));
  try {
    // connect(2) runs synchronously inside createConnection, so the relative path resolves right here.
    return net.createConnection({ path: `./${path.basename(sockPath)}` });
  } finally {
    process.chdir(prev);
  }
}

export function sendRequest(dir: string, uuid: string, req: Request): Promise<Response> {
  return new Promise((resolve, reject) => {
    const sock = connectUnix(podSocketFile(dir, uuid));
    let buf = "";
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      sock.destroy();
      fn();
    };
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl >= 0) settle(() => resolve(JSON.parse(buf.slice(0, nl)) as Response));
    });
    sock.on("error", (e: NodeJS.ErrnoException) =>
      settle(() =>
        reject(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE"].includes(e.code ?? "") ? new SupervisorUnreachable(e.message) : e),
      ),
    );
    sock.on("close", () => settle(() => reject(new SupervisorUnreachable("connection closed"))));
  });
}
