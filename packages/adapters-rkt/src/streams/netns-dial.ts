/**
 * Run inside a pod's network namespace (`nsenter --net=… -- node netns-dial.js PORT`): connects to the
 * port on the pod's loopback (IPv4, then IPv6) and copies stdin to the connection and the connection to
 * stdout. fd 3 reports the outcome first: `ok\n`, or one line saying why it could not connect.
 */
import { createWriteStream } from "node:fs";
import { connect, type Socket } from "node:net";

const port = Number(process.argv[2]);
const status = createWriteStream("", { fd: 3 });

function attempt(hosts: string[], errors: string[]): void {
  const [host, ...rest] = hosts;
  if (host === undefined) {
    status.end(`failed to connect to localhost:${port} inside the pod's network namespace: ${errors.join("; ")}\n`, () => process.exit(1));
    return;
  }
  const socket: Socket = connect({ host, port });
  socket.once("error", (err) => {
    attempt(rest, [...errors, `${host}: ${err.message}`]);
  });
  socket.once("connect", () => {
    socket.removeAllListeners("error");
    status.end("ok\n");
    socket.on("error", () => process.exit(1));
    process.stdin.pipe(socket);
    // stdout ends with the connection; exit only once it is flushed, or the last bytes would be lost
    socket.pipe(process.stdout);
    process.stdout.on("finish", () => process.exit(0));
    process.stdout.on("error", () => process.exit(1));
  });
}

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  status.end(`bad port ${process.argv[2]}\n`, () => process.exit(2));
} else {
  attempt(["127.0.0.1", "::1"], []);
}
