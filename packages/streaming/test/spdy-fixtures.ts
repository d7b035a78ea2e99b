import { readFileSync } from "node:fs";

/**
 * Test helpers over the captures in /work/shared/reference/fixtures/streaming: a small pcap reader that
 * reassembles each TCP connection (Ethernet + IPv4 on lo, as captured), and a reader for the compressed
 * header-block hex dumps in the transcripts.
 */

export const FIXTURES = "/work/shared/reference/fixtures/streaming";

export interface TcpConnection {
  readonly clientPort: number;
  readonly serverPort: number;
  /** Everything the client sent, in sequence order. */
  readonly clientBytes: Buffer;
  readonly serverBytes: Buffer;
}

interface Segment {
  readonly seq: number;
  readonly payload: Buffer;
}

interface Flow {
  isn: number | undefined;
  readonly segments: Segment[];
}

/** Reads a pcap (microsecond or nanosecond, either byte order) and returns its TCP connections in start order. */
export function readPcap(name: string): TcpConnection[] {
  const file = readFileSync(`${FIXTURES}/${name}`);
  const magic = file.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && file.readUInt32BE(0) !== 0xa1b2c3d4 && file.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${name}: not a pcap`);
  const u32 = (at: number) => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  if (u32(20) !== 1) throw new Error(`${name}: link type ${u32(20)}, expected Ethernet`);
  const flows = new Map<string, Flow>();
  const order: Array<{ client: string; server: string; clientPort: number; serverPort: number }> = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const length = u32(at + 8);
    const packet = file.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    if (packet.readUInt16BE(12) !== 0x0800) continue;
    const ip = packet.subarray(14);
    if ((ip[9] as number) !== 6) continue;
    const ipHeader = ((ip[0] as number) & 0x0f) * 4;
    const tcp = ip.subarray(ipHeader, ip.readUInt16BE(2));
    const src = tcp.readUInt16BE(0);
    const dst = tcp.readUInt16BE(2);
    const seq = tcp.readUInt32BE(4);
    const flags = tcp[13] as number;
    const payload = tcp.subarray(((tcp[12] as number) >> 4) * 4);
    const key = `${src}>${dst}`;
    let flow = flows.get(key);
    if (!flow) {
      flow = { isn: undefined, segments: [] };
      flows.set(key, flow);
    }
    const syn = (flags & 0x02) !== 0;
    const ack = (flags & 0x10) !== 0;
    if (syn) {
      flow.isn = seq;
      if (!ack) order.push({ client: key, server: `${dst}>${src}`, clientPort: src, serverPort: dst });
    }
    if (payload.length > 0) flow.segments.push({ seq, payload: Buffer.from(payload) });
  }
  return order.map(({ client, server, clientPort, serverPort }) => ({
    clientPort,
    serverPort,
    clientBytes: reassemble(flows.get(client)),
    serverBytes: reassemble(flows.get(server)),
  }));
}

function reassemble(flow: Flow | undefined): Buffer {
  if (!flow || flow.isn === undefined) return Buffer.alloc(0);
  const isn = flow.isn;
  const offset = (seq: number) => (seq - isn - 1) >>> 0;
  const sorted = [...flow.segments].sort((a, b) => offset(a.seq) - offset(b.seq));
  const parts: Buffer[] = [];
  let next = 0;
  for (const s of sorted) {
    const start = offset(s.seq);
    const end = start + s.payload.length;
    if (end <= next) continue; // retransmission
    parts.push(s.payload.subarray(Math.max(0, next - start)));
    next = end;
  }
  return Buffer.concat(parts);
}

/** The connection to the streaming server (port 42831) in a capture, split at the end of the HTTP head. */
export function spdyCapture(name: string): { request: string; response: string; clientFrames: Buffer; serverFrames: Buffer } {
  const conn = readPcap(name).find((c) => c.serverPort === 42831);
  if (!conn) throw new Error(`${name}: no streaming connection`);
  const split = (bytes: Buffer) => {
    const end = bytes.indexOf("\r\n\r\n");
    return { head: bytes.subarray(0, end + 4).toString("latin1"), rest: bytes.subarray(end + 4) };
  };
  const c = split(conn.clientBytes);
  const s = split(conn.serverBytes);
  return { request: c.head, response: s.head, clientFrames: c.rest, serverFrames: s.rest };
}

/** The "compressed bytes:" dumps of one direction of a transcript, in order. */
export function compressedBlocks(name: string, direction: "C->S" | "S->C"): Buffer[] {
  const blocks: number[][] = [];
  let ours = false;
  let current: number[] | undefined;
  for (const line of readFileSync(`${FIXTURES}/${name}`, "utf8").split("\n")) {
    if (line.startsWith("[")) {
      ours = line.includes(` ${direction} `);
      current = undefined;
    } else if (line.trim() === "compressed bytes:") {
      current = ours ? [] : undefined;
      if (current) blocks.push(current);
    } else {
      const dump = /^ {8}[0-9a-f]{4} {2}((?:[0-9a-f]{2} )+)/.exec(line);
      if (dump && current)
        current.push(
          ...(dump[1] as string)
            .trim()
            .split(" ")
            .map((h) => Number.parseInt(h, 16)),
        );
      else if (!dump) current = undefined;
    }
  }
  return blocks.map((b) => Buffer.from(b));
}

/** The decoded header pairs listed before each "compressed bytes:" dump of one direction. */
export function listedHeaders(name: string, direction: "C->S" | "S->C"): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  let current: Record<string, string> | undefined;
  for (const line of readFileSync(`${FIXTURES}/${name}`, "utf8").split("\n")) {
    if (line.startsWith("[")) {
      current = / (SYN_STREAM|SYN_REPLY|HEADERS) /.test(line) && line.includes(` ${direction} `) ? {} : undefined;
      if (current) out.push(current);
      continue;
    }
    const pair = /^ {6}([a-z0-9-]+): "(.*)"$/.exec(line);
    if (pair && current) current[pair[1] as string] = pair[2] as string;
  }
  return out;
}
