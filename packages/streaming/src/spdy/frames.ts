/**
 * SPDY/3.1 framing (big-endian): the frames this transport uses, an incremental parser that copes with
 * bytes split anywhere (Go peers write one frame in several small writes), and one encoder per frame type.
 * Header blocks stay compressed here; header-block.ts owns the zlib contexts.
 */

export const SPDY_VERSION = 3;
/** The 24-bit length field caps every frame body at 16 MiB - 1. */
export const MAX_FRAME_LENGTH = 0xffffff;
export const MAX_STREAM_ID = 0x7fffffff;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
const FLAG_CLEAR_SETTINGS = 0x01;

export const ControlType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

export interface SettingsEntry {
  readonly id: number;
  readonly flags: number;
  readonly value: number;
}

export type Frame =
  | { readonly type: "data"; readonly streamId: number; readonly fin: boolean; readonly data: Buffer }
  | {
      readonly type: "syn_stream";
      readonly streamId: number;
      readonly associatedStreamId: number;
      readonly priority: number;
      readonly slot: number;
      readonly fin: boolean;
      readonly unidirectional: boolean;
      readonly headerBlock: Buffer;
    }
  | { readonly type: "syn_reply"; readonly streamId: number; readonly fin: boolean; readonly headerBlock: Buffer }
  | { readonly type: "rst_stream"; readonly streamId: number; readonly status: number }
  | { readonly type: "settings"; readonly clear: boolean; readonly entries: readonly SettingsEntry[] }
  | { readonly type: "ping"; readonly id: number }
  | { readonly type: "goaway"; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: "headers"; readonly streamId: number; readonly fin: boolean; readonly headerBlock: Buffer }
  | { readonly type: "window_update"; readonly streamId: number; readonly delta: number };

/** The peer broke the framing rules: the connection cannot continue. */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SpdyProtocolError";
  }
}

/** Flags each control type may carry, and the exact body length of the fixed-size ones. */
const CONTROL_RULES: ReadonlyMap<number, { flags: number; length?: number; minLength?: number }> = new Map([
  [ControlType.SynStream, { flags: FLAG_FIN | FLAG_UNIDIRECTIONAL, minLength: 10 }],
  [ControlType.SynReply, { flags: FLAG_FIN, minLength: 4 }],
  [ControlType.RstStream, { flags: 0, length: 8 }],
  [ControlType.Settings, { flags: FLAG_CLEAR_SETTINGS, minLength: 4 }],
  [ControlType.Ping, { flags: 0, length: 4 }],
  [ControlType.GoAway, { flags: 0, length: 8 }],
  [ControlType.Headers, { flags: FLAG_FIN, minLength: 4 }],
  [ControlType.WindowUpdate, { flags: 0, length: 8 }],
]);

export interface ParseResult {
  readonly frames: Frame[];
  /** Set when the input stopped making sense; the frames before it are still valid. */
  readonly error?: SpdyProtocolError;
}

/**
 * Turns a byte stream into frames. Checks each 8-byte header as soon as it is complete, so garbage fails
 * at once instead of after waiting for a bogus 16 MiB body. Unknown control types are skipped (as the spec
 * asks); after an error the parser refuses further input.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed: SpdyProtocolError | undefined;

  push(chunk: Buffer): ParseResult {
    const frames: Frame[] = [];
    if (this.failed) return { frames, error: this.failed };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    try {
      while (this.buffered >= 8) {
        const header = this.peek(8);
        const length = header.readUIntBE(5, 3);
        checkHeader(header, length);
        if (this.buffered < 8 + length) break;
        const frame = parseFrame(this.take(8 + length));
        if (frame) frames.push(frame);
      }
    } catch (err) {
      this.failed = err instanceof SpdyProtocolError ? err : new SpdyProtocolError(String(err));
      this.chunks = [];
      this.buffered = 0;
      return { frames, error: this.failed };
    }
    return { frames };
  }

  private peek(n: number): Buffer {
    this.coalesce(n);
    return (this.chunks[0] as Buffer).subarray(0, n);
  }

  private take(n: number): Buffer {
    this.coalesce(n);
    const first = this.chunks[0] as Buffer;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }

  /** Makes the first chunk at least n bytes long (copies only when a frame spans chunks). */
  private coalesce(n: number): void {
    if ((this.chunks[0] as Buffer).length >= n) return;
    let count = 0;
    let size = 0;
    while (size < n) size += (this.chunks[count++] as Buffer).length;
    this.chunks.splice(0, count, Buffer.concat(this.chunks.slice(0, count), size));
  }
}

function checkHeader(header: Buffer, length: number): void {
  const flags = header[4] as number;
  if (((header[0] as number) & 0x80) === 0) {
    if ((header.readUInt32BE(0) & MAX_STREAM_ID) === 0) throw new SpdyProtocolError("DATA frame for stream 0");
    if ((flags & ~FLAG_FIN) !== 0) throw new SpdyProtocolError(`DATA frame with unknown flags 0x${flags.toString(16)}`);
    return;
  }
  const version = header.readUInt16BE(0) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const rules = CONTROL_RULES.get(header.readUInt16BE(2));
  if (!rules) return;
  if ((flags & ~rules.flags) !== 0)
    throw new SpdyProtocolError(`control frame ${header.readUInt16BE(2)} with invalid flags 0x${flags.toString(16)}`);
  if (rules.length !== undefined && length !== rules.length)
    throw new SpdyProtocolError(`control frame ${header.readUInt16BE(2)} of length ${length}`);
  if (rules.minLength !== undefined && length < rules.minLength)
    throw new SpdyProtocolError(`control frame ${header.readUInt16BE(2)} too short`);
}

function streamIdAt(body: Buffer, offset: number): number {
  const id = body.readUInt32BE(offset) & MAX_STREAM_ID;
  if (id === 0) throw new SpdyProtocolError("stream id 0 in a stream frame");
  return id;
}

/** A whole frame (header already checked) to its object; undefined for control types we ignore. */
function parseFrame(raw: Buffer): Frame | undefined {
  const flags = raw[4] as number;
  const fin = (flags & FLAG_FIN) !== 0;
  const body = raw.subarray(8);
  if (((raw[0] as number) & 0x80) === 0) return { type: "data", streamId: raw.readUInt32BE(0) & MAX_STREAM_ID, fin, data: body };
  switch (raw.readUInt16BE(2)) {
    case ControlType.SynStream:
      return {
        type: "syn_stream",
        streamId: streamIdAt(body, 0),
        associatedStreamId: body.readUInt32BE(4) & MAX_STREAM_ID,
        priority: (body[8] as number) >> 5,
        slot: body[9] as number,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: body.subarray(10),
      };
    case ControlType.SynReply:
      return { type: "syn_reply", streamId: streamIdAt(body, 0), fin, headerBlock: body.subarray(4) };
    case ControlType.Headers:
      return { type: "headers", streamId: streamIdAt(body, 0), fin, headerBlock: body.subarray(4) };
    case ControlType.RstStream: {
      const status = body.readUInt32BE(4);
      if (status === 0) throw new SpdyProtocolError("RST_STREAM with status 0");
      return { type: "rst_stream", streamId: streamIdAt(body, 0), status };
    }
    case ControlType.Settings: {
      const count = body.readUInt32BE(0);
      if (body.length !== 4 + count * 8) throw new SpdyProtocolError("SETTINGS length does not match its entry count");
      const entries: SettingsEntry[] = [];
      for (let at = 4; at < body.length; at += 8) {
        entries.push({ flags: body[at] as number, id: body.readUIntBE(at + 1, 3), value: body.readUInt32BE(at + 4) });
      }
      return { type: "settings", clear: (flags & FLAG_CLEAR_SETTINGS) !== 0, entries };
    }
    case ControlType.Ping: {
      const id = body.readUInt32BE(0);
      if (id === 0) throw new SpdyProtocolError("PING with id 0");
      return { type: "ping", id };
    }
    case ControlType.GoAway:
      return { type: "goaway", lastGoodStreamId: body.readUInt32BE(0) & MAX_STREAM_ID, status: body.readUInt32BE(4) };
    case ControlType.WindowUpdate:
      return { type: "window_update", streamId: body.readUInt32BE(0) & MAX_STREAM_ID, delta: body.readUInt32BE(4) & MAX_STREAM_ID };
    default:
      return undefined;
  }
}

function checkStreamId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_STREAM_ID) throw new RangeError(`invalid SPDY stream id ${id}`);
}

function control(type: number, flags: number, body: Buffer): Buffer {
  if (body.length > MAX_FRAME_LENGTH) throw new RangeError(`SPDY frame body of ${body.length} bytes exceeds ${MAX_FRAME_LENGTH}`);
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  header.writeUInt16BE(type, 2);
  header[4] = flags;
  header.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([header, body]);
}

function words(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => {
    out.writeUInt32BE(v >>> 0, i * 4);
  });
  return out;
}

/** Encodes one frame. Header blocks must already be compressed. */
export function encodeFrame(frame: Frame): Buffer {
  switch (frame.type) {
    case "data": {
      checkStreamId(frame.streamId);
      if (frame.data.length > MAX_FRAME_LENGTH)
        throw new RangeError(`DATA payload of ${frame.data.length} bytes exceeds ${MAX_FRAME_LENGTH}`);
      const header = Buffer.alloc(8);
      header.writeUInt32BE(frame.streamId, 0);
      header[4] = frame.fin ? FLAG_FIN : 0;
      header.writeUIntBE(frame.data.length, 5, 3);
      return Buffer.concat([header, frame.data]);
    }
    case "syn_stream": {
      checkStreamId(frame.streamId);
      checkStreamId(frame.associatedStreamId);
      const fixed = words(frame.streamId, frame.associatedStreamId, 0).subarray(0, 10);
      fixed[8] = (frame.priority & 0x7) << 5;
      fixed[9] = frame.slot & 0xff;
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return control(ControlType.SynStream, flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case "syn_reply":
    case "headers": {
      checkStreamId(frame.streamId);
      const type = frame.type === "syn_reply" ? ControlType.SynReply : ControlType.Headers;
      return control(type, frame.fin ? FLAG_FIN : 0, Buffer.concat([words(frame.streamId), frame.headerBlock]));
    }
    case "rst_stream":
      checkStreamId(frame.streamId);
      return control(ControlType.RstStream, 0, words(frame.streamId, frame.status));
    case "settings": {
      const body = Buffer.alloc(4 + frame.entries.length * 8);
      body.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        body[4 + i * 8] = e.flags;
        body.writeUIntBE(e.id, 5 + i * 8, 3);
        body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return control(ControlType.Settings, frame.clear ? FLAG_CLEAR_SETTINGS : 0, body);
    }
    case "ping":
      return control(ControlType.Ping, 0, words(frame.id));
    case "goaway":
      checkStreamId(frame.lastGoodStreamId);
      return control(ControlType.GoAway, 0, words(frame.lastGoodStreamId, frame.status));
    case "window_update":
      checkStreamId(frame.streamId);
      return control(ControlType.WindowUpdate, 0, words(frame.streamId, frame.delta & MAX_STREAM_ID));
  }
}
