/**
 * Synchronous writes to stdout/stderr. Process.stdout is asynchronous on pipes, and rkt's callers read
 * the full output of a process that exits right after printing; blocking writes cannot be lost on exit.
 */
import * as fs from "node:fs";
import { isErrno, sleepSync } from "./fsx";

function writeAll(fd: number, data: string | Buffer): void {
  const buf = typeof data === "string" ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (isErrno(e, "EAGAIN")) {
        sleepSync(1);
        continue;
      }
      // Nobody is reading (closed pipe or descriptor): the output is lost, the command goes on.
      if (isErrno(e, "EPIPE") || isErrno(e, "EBADF")) return;
      throw e;
    }
  }
}

export const stdout = {
  write: (s: string | Buffer): void => writeAll(1, s),
  line: (s: string): void => writeAll(1, `${s}\n`),
};

export const stderr = {
  write: (s: string | Buffer): void => writeAll(2, s),
  line: (s: string): void => writeAll(2, `${s}\n`),
};
