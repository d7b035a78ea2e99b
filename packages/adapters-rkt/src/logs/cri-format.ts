/**
 * kubelet reads container logs as `<RFC3339Nano> <stdout|stderr> <P|F> <message>\n`: P marks a piece of a
 * longer line, F its last (or only) piece. rkt's k8s-plain mode writes `<RFC3339Nano> <stream> <message>\n`
 * without the tag, which kubelet would misread; these functions convert one into the other.
 */

/** Lines longer than this are split into P pieces, as containerd does by default. */
export const MAX_CRI_LINE_BYTES = 16 * 1024;

const SPACE = 0x20;

/** The time and stream of a raw line: what a continued (very long) line keeps across reads. */
export interface LineHeader {
  readonly time: string;
  readonly stream: "stdout" | "stderr";
}

export interface RawLogLine extends LineHeader {
  readonly message: Buffer;
}

/** Parses one raw line (without its newline). Lines that do not look like iottymux output are kept as stdout. */
export function parseRawLine(line: Buffer, fallbackTime: () => string): RawLogLine {
  const first = line.indexOf(SPACE);
  const second = first === -1 ? -1 : line.indexOf(SPACE, first + 1);
  if (first > 0 && second > first) {
    const time = line.subarray(0, first).toString("latin1");
    const stream = line.subarray(first + 1, second).toString("latin1");
    if ((stream === "stdout" || stream === "stderr") && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(time)) {
      return { time, stream, message: line.subarray(second + 1) };
    }
  }
  // iottymux writes `<time> stdout ` (trailing space) for an empty line; anything else unparseable is data.
  return { time: fallbackTime(), stream: "stdout", message: line };
}

/**
 * The CRI lines for one raw line: P pieces of at most `max` bytes, the last one F when the line ends
 * here (`final`), P when it goes on in the next read.
 */
export function toCriLines(l: RawLogLine, max = MAX_CRI_LINE_BYTES, final = true): Buffer[] {
  const out: Buffer[] = [];
  const prefix = (tag: "P" | "F") => Buffer.from(`${l.time} ${l.stream} ${tag} `, "latin1");
  let rest = l.message;
  while (rest.length > max) {
    out.push(Buffer.concat([prefix("P"), rest.subarray(0, max), Buffer.from("\n")]));
    rest = rest.subarray(max);
  }
  if (final || rest.length > 0) out.push(Buffer.concat([prefix(final ? "F" : "P"), rest, Buffer.from("\n")]));
  return out;
}

/** Go's RFC3339Nano for the current time (trailing zeros of the fraction trimmed, as Go does). */
export function rfc3339NanoNow(): string {
  const ms = Date.now();
  const base = new Date(ms).toISOString().slice(0, 19);
  const nanos = String((ms % 1000) * 1_000_000)
    .padStart(9, "0")
    .replace(/0+$/, "");
  return `${base}${nanos ? `.${nanos}` : ""}Z`;
}

/**
 * Converts a chunk of raw log bytes. Only complete lines are converted; `consumed` says how many bytes
 * of `raw` that was, so an unterminated tail is read again next time. `cont` is the header of a line
 * begun in an earlier read (its bytes here have no header of their own). With `flush`, an unterminated
 * tail is emitted too, as P pieces, and its header returned as the new `cont`: for lines longer than a read.
 */
export function convertChunk(
  raw: Buffer,
  max = MAX_CRI_LINE_BYTES,
  cont?: LineHeader,
  flush = false,
): { output: Buffer; consumed: number; lines: number; cont: LineHeader | undefined } {
  const parts: Buffer[] = [];
  let start = 0;
  let lines = 0;
  let header = cont;
  const line = (bytes: Buffer): RawLogLine => (header ? { ...header, message: bytes } : parseRawLine(bytes, rfc3339NanoNow));
  for (let nl = raw.indexOf(0x0a, start); nl !== -1; nl = raw.indexOf(0x0a, start)) {
    parts.push(...toCriLines(line(raw.subarray(start, nl)), max));
    header = undefined;
    start = nl + 1;
    lines++;
  }
  if (flush && start < raw.length) {
    const l = line(raw.subarray(start));
    parts.push(...toCriLines(l, max, false));
    return { output: Buffer.concat(parts), consumed: raw.length, lines, cont: { time: l.time, stream: l.stream } };
  }
  return { output: Buffer.concat(parts), consumed: start, lines, cont: header };
}
