import { readFileSync } from "node:fs";

/** One WebSocket frame from a decoded capture in /work/shared/reference/fixtures/streaming. */
export interface CapturedFrame {
  readonly direction: "C->S" | "S->C";
  readonly opcode: "BINARY" | "TEXT" | "CLOSE";
  /** Unmasked payload bytes. */
  readonly payload: Buffer;
}

const FIXTURES = "/work/shared/reference/fixtures/streaming";

/** Reads the WS frames of a transcript (`ws-*.txt`): header line, then hex dump lines of the payload. */
export function capturedFrames(name: string): CapturedFrame[] {
  const frames: Array<{ direction: CapturedFrame["direction"]; opcode: CapturedFrame["opcode"]; bytes: number[] }> = [];
  let current: (typeof frames)[number] | undefined;
  for (const line of readFileSync(`${FIXTURES}/${name}`, "utf8").split("\n")) {
    const header = /^\[[\d.]+\] (C->S|S->C) WS (BINARY|TEXT|CLOSE) /.exec(line);
    if (header) {
      current = { direction: header[1] as CapturedFrame["direction"], opcode: header[2] as CapturedFrame["opcode"], bytes: [] };
      frames.push(current);
      continue;
    }
    if (line.startsWith("[")) {
      current = undefined;
      continue;
    }
    const dump = /^ {6}[0-9a-f]{4} {2}((?:[0-9a-f]{2} )+)/.exec(line);
    if (dump && current)
      current.bytes.push(
        ...(dump[1] as string)
          .trim()
          .split(" ")
          .map((h) => Number.parseInt(h, 16)),
      );
  }
  return frames.map((f) => ({ direction: f.direction, opcode: f.opcode, payload: Buffer.from(f.bytes) }));
}

/** The payload of an SPDY DATA frame on the error stream of a SPDY transcript (e.g. exec-notfound.txt). */
export function capturedErrorStreamData(name: string): Buffer {
  const bytes: number[] = [];
  let inside = false;
  for (const line of readFileSync(`${FIXTURES}/${name}`, "utf8").split("\n")) {
    if (line.startsWith("[")) {
      inside = /S->C DATA stream=\d+ \[error\] flags=0x00 len=\d+/.test(line);
      continue;
    }
    const dump = /^ {6}[0-9a-f]{4} {2}((?:[0-9a-f]{2} )+)/.exec(line);
    if (dump && inside)
      bytes.push(
        ...(dump[1] as string)
          .trim()
          .split(" ")
          .map((h) => Number.parseInt(h, 16)),
      );
  }
  return Buffer.from(bytes);
}
