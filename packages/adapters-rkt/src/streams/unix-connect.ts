import { closeSync, constants, openSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { basename, dirname } from "node:path";

/**
 * Connects to a unix socket whose path may exceed sun_path's 108 bytes (rkt's attach sockets sit deep in
 * the pod directory): through /proc/self/fd of an open handle on its directory, so the path the kernel sees
 * stays short. Resolves once connected.
 */
export function connectUnix(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let dirFd: number;
    try {
      dirFd = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (err) {
      reject(err);
      return;
    }
    const socket = connect(`/proc/self/fd/${dirFd}/${basename(path)}`);
    // the directory handle is closed exactly once, whichever comes first
    let open = true;
    const done = () => {
      if (open) closeSync(dirFd);
      open = false;
    };
    const failed = (err: Error) => {
      done();
      reject(err);
    };
    socket.once("connect", () => {
      done();
      socket.removeListener("error", failed);
      resolve(socket);
    });
    socket.once("error", failed);
  });
}
