import { constants, createDeflate, createInflate, type Deflate, type Inflate } from "node:zlib";
import { SPDY3_DICTIONARY } from "./dictionary";
import { SpdyProtocolError } from "./frames";

/**
 * SPDY/3 header blocks: the pair layout (32-bit counts and lengths, lower-case names, several values of one
 * name joined by NUL) and the compression around it. A connection has one zlib stream per direction for its
 * whole life, shared by SYN_STREAM, SYN_REPLY and HEADERS, and each block ends with a sync flush. So every
 * block of a direction goes through the same context in order; none can be decoded alone or skipped.
 */

/** Header values as given: several values for one name become one NUL-joined value. */
export type HeaderInput = Readonly<Record<string, string | readonly string[]>> | ReadonlyMap<string, string | readonly string[]>;
/** Decoded headers: lower-case names; a name sent with several values has them joined by NUL. */
export type SpdyHeaders = ReadonlyMap<string, string>;

/** A peer's decompressed header block may not be larger than this (ours are a few dozen bytes). */
export const MAX_HEADER_BLOCK = 256 * 1024;

/** Lower-cases names and joins multiple values, as the wire wants them. */
export function normalizeHeaders(headers: HeaderInput): Map<string, string> {
  const out = new Map<string, string>();
  const entries = headers instanceof Map ? [...headers.entries()] : Object.entries(headers);
  for (const [rawName, value] of entries as Array<[string, string | readonly string[]]>) {
    const name = rawName.toLowerCase();
    if (name === "") throw new RangeError("empty SPDY header name");
    if (out.has(name)) throw new RangeError(`SPDY header ${name} given twice`);
    out.set(name, typeof value === "string" ? value : value.join("\0"));
  }
  return out;
}

/** The uncompressed block for `headers`. */
export function encodeHeaderBlock(headers: HeaderInput): Buffer {
  const pairs = normalizeHeaders(headers);
  const parts: Buffer[] = [u32(pairs.size)];
  for (const [name, value] of pairs) {
    const n = Buffer.from(name, "utf8");
    const v = Buffer.from(value, "utf8");
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed block; rejects what Go's reader rejects (upper-case or repeated names, leftovers). */
export function decodeHeaderBlock(block: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  const read = (what: string): Buffer => {
    if (at + 4 > block.length) throw new SpdyProtocolError(`header block truncated in ${what} length`);
    const length = block.readUInt32BE(at);
    at += 4;
    if (at + length > block.length) throw new SpdyProtocolError(`header block truncated in ${what}`);
    const bytes = block.subarray(at, at + length);
    at += length;
    return bytes;
  };
  if (block.length < 4) throw new SpdyProtocolError("header block shorter than its pair count");
  const count = block.readUInt32BE(0);
  at = 4;
  if (count > (block.length - 4) / 8) throw new SpdyProtocolError(`header block claims ${count} pairs`);
  for (let i = 0; i < count; i++) {
    const name = read("name").toString("utf8");
    const value = read("value").toString("utf8");
    if (name === "") throw new SpdyProtocolError("empty header name");
    if (name !== name.toLowerCase()) throw new SpdyProtocolError(`header name ${JSON.stringify(name)} is not lower-case`);
    if (out.has(name)) throw new SpdyProtocolError(`header ${name} repeated`);
    out.set(name, value);
  }
  if (at !== block.length) throw new SpdyProtocolError(`${block.length - at} bytes left over after the header block`);
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * Runs blocks through one long-lived zlib stream, one at a time, each finished by Z_SYNC_FLUSH. The output is
 * read with read() rather than 'data' events: when the flush callback runs, everything it produced is either
 * collected already or still in the readable buffer, never in flight.
 */
class ZlibContext {
  private queue: Promise<unknown> = Promise.resolve();
  private collected: Buffer[] = [];
  private size = 0;
  private broken: Error | undefined;
  private pending: { resolve: (out: Buffer) => void; reject: (err: Error) => void } | undefined;

  constructor(
    private readonly z: Inflate | Deflate,
    private readonly limit: number,
  ) {
    z.on("readable", () => this.drain());
    z.on("error", (err: Error) => this.fail(err));
    z.on("close", () => this.fail(new Error("header compression context closed")));
  }

  run(input: Buffer): Promise<Buffer> {
    const result = this.queue.then(() => this.once(input));
    this.queue = result.catch(() => {});
    return result;
  }

  close(): void {
    this.fail(new Error("header compression context closed"));
  }

  private once(input: Buffer): Promise<Buffer> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.collected = [];
      this.size = 0;
      this.z.write(input);
      this.z.flush(constants.Z_SYNC_FLUSH, () => {
        this.drain();
        const pending = this.pending;
        this.pending = undefined;
        if (this.broken) pending?.reject(this.broken);
        else pending?.resolve(Buffer.concat(this.collected, this.size));
      });
    });
  }

  private drain(): void {
    if (this.broken) return;
    for (let chunk = this.z.read() as Buffer | null; chunk !== null; chunk = this.z.read() as Buffer | null) {
      this.collected.push(chunk);
      this.size += chunk.length;
      if (this.size > this.limit) {
        this.fail(new SpdyProtocolError(`header block inflates to more than ${this.limit} bytes`));
        return;
      }
    }
  }

  /** A zlib stream that failed once is useless: the peer's state can no longer be followed. */
  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = err;
    this.pending?.reject(err);
    this.pending = undefined;
    this.z.destroy();
  }
}

/** Our direction: compresses the blocks we send, in the order compress() is called. */
export class HeaderCompressor {
  // Level 9 like Go's writer; any level decodes the same.
  private readonly context = new ZlibContext(createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 }), Number.POSITIVE_INFINITY);

  compress(headers: HeaderInput): Promise<Buffer> {
    return this.context.run(encodeHeaderBlock(headers));
  }

  close(): void {
    this.context.close();
  }
}

/** The peer's direction: every received block must come through here, in arrival order. */
export class HeaderDecompressor {
  private readonly context = new ZlibContext(createInflate({ dictionary: SPDY3_DICTIONARY }), MAX_HEADER_BLOCK);

  async decompress(block: Buffer): Promise<Map<string, string>> {
    let raw: Buffer;
    try {
      raw = await this.context.run(block);
    } catch (err) {
      throw err instanceof SpdyProtocolError ? err : new SpdyProtocolError(`header block does not inflate: ${(err as Error).message}`);
    }
    return decodeHeaderBlock(raw);
  }

  close(): void {
    this.context.close();
  }
}
