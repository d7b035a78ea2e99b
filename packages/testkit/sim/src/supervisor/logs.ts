/**
 * App output sinks. In k8s-plain log mode each complete line goes to the CRI log file as iottymux writes
 * it: `<RFC3339Nano> <stdout|stderr> <line>` with no partial tag; an unterminated last line is never
 * written. Otherwise lines go to the sandbox's own stdout, like the pod console.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stdout } from "../util/out";
import { nowNs, rfc3339Nano } from "../util/time";

export type StreamName = "stdout" | "stderr";

export interface LineSink {
  line(stream: StreamName, line: Buffer): void;
  close(): void;
}

/** Opens (O_TRUNC) the CRI log file; the path must stay inside the log directory, as iottymux requires. */
export function openCriLog(logDir: string, logPath: string): LineSink | string {
  const root = path.resolve(logDir);
  const file = path.resolve(root, logPath);
  if (file !== root && !file.startsWith(`${root}${path.sep}`)) return `log path ${JSON.stringify(logPath)} is outside the log directory`;
  let fd: number;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o640);
  } catch (e) {
    return (e as Error).message;
  }
  let open = true;
  return {
    line(stream, line) {
      if (!open) return;
      fs.writeSync(fd, Buffer.concat([Buffer.from(`${rfc3339Nano(nowNs())} ${stream} `), line, Buffer.from("\n")]));
    },
    close() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

/** `pid` is read per line: the sink exists before the process does. */
export function consoleSink(app: string, pid: () => number): LineSink {
  return {
    line(_stream, line) {
      stdout.write(Buffer.concat([Buffer.from(`${app}[${pid()}]: `), line, Buffer.from("\n")]));
    },
    close() {},
  };
}

/** Splits a byte stream into `\n`-terminated lines; a trailing partial line is dropped at the end. */
export function lineSplitter(onLine: (line: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer[] = [];
  return (chunk) => {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      onLine(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  };
}
