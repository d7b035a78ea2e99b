import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Duplex } from "node:stream";
import { setImmediate as tick } from "node:timers/promises";
import { encodeFrame, type Frame, FrameParser } from "../src/spdy/frames";
import { HeaderCompressor, HeaderDecompressor } from "../src/spdy/header-block";

/**
 * Test plumbing for the SPDY transport: an in-memory socket that records what we write and lets a test
 * feed bytes in any split, a decoder for our output (frames plus inflated header blocks), and an HTTP
 * server whose 'upgrade' handler each test chooses.
 */

/** One side of a connection, driven by the test: `feed()` is what the peer sends, `written` what we sent. */
export class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  /** While true, writes are not acknowledged, so write() soon returns false (a slow peer). */
  holdWrites = false;
  private held: Array<() => void> = [];

  constructor(options: { writableHighWaterMark?: number } = {}) {
    super({ allowHalfOpen: true, ...options });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.written.push(chunk);
    if (this.holdWrites) this.held.push(() => callback());
    else callback();
  }

  /** Acknowledges held writes (the peer read them). */
  release(): void {
    this.holdWrites = false;
    const held = this.held;
    this.held = [];
    for (const done of held) done();
  }

  /** Delivers `bytes` in pieces of `size`, one event-loop turn apart. */
  async feed(bytes: Buffer, size = 7): Promise<void> {
    for (let at = 0; at < bytes.length; at += size) {
      this.push(bytes.subarray(at, at + size));
      await tick();
    }
  }

  output(): Buffer {
    return Buffer.concat(this.written);
  }
}

export type DecodedFrame = Frame & { readonly headers?: Map<string, string> };

/** Parses one direction of a SPDY byte stream, inflating header blocks with one context as the peer would. */
export async function decodeFrames(bytes: Buffer): Promise<DecodedFrame[]> {
  const { frames, error } = new FrameParser().push(bytes);
  if (error) throw error;
  const inflater = new HeaderDecompressor();
  const out: DecodedFrame[] = [];
  for (const frame of frames) {
    out.push("headerBlock" in frame ? { ...frame, headers: await inflater.decompress(frame.headerBlock) } : frame);
  }
  inflater.close();
  return out;
}

/** A compact description of a frame for toEqual() checks. */
export function show(frame: DecodedFrame): string {
  switch (frame.type) {
    case "data":
      return `DATA ${frame.streamId}${frame.fin ? " FIN" : ""}${frame.data.length ? ` ${JSON.stringify(frame.data.toString())}` : ""}`;
    case "syn_stream":
    case "syn_reply":
    case "headers":
      return `${frame.type.toUpperCase()} ${frame.streamId}${frame.fin ? " FIN" : ""} ${JSON.stringify(Object.fromEntries(frame.headers ?? []))}`;
    case "rst_stream":
      return `RST ${frame.streamId} ${frame.status}`;
    case "goaway":
      return `GOAWAY ${frame.lastGoodStreamId} ${frame.status}`;
    case "ping":
      return `PING ${frame.id}`;
    case "settings":
      return `SETTINGS ${frame.entries.length}`;
    case "window_update":
      return `WINDOW_UPDATE ${frame.streamId} ${frame.delta}`;
  }
}

/** Splits a captured byte stream into whole raw frames (any trailing partial frame is dropped). */
export function splitFrames(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    const end = at + 8 + bytes.readUIntBE(at + 5, 3);
    if (end > bytes.length) break;
    frames.push(bytes.subarray(at, end));
    at = end;
  }
  return frames;
}

/** A request object as Node's http server would make it from a captured request head (repeated headers comma-joined). */
export function requestFromHead(head: string): IncomingMessage {
  const [requestLine = "", ...lines] = head.split("\r\n").filter((l) => l !== "");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const [method, url] = requestLine.split(" ");
  return { method, url, headers } as unknown as IncomingMessage;
}

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** An HTTP server on 127.0.0.1 whose upgrade handler is `handler.current`. */
export async function upgradeServer(): Promise<{ url: string; server: Server; handler: { current: UpgradeHandler } }> {
  const handler: { current: UpgradeHandler } = { current: (_req, socket) => socket.destroy() };
  const server = createServer((_req, res) => res.writeHead(426).end());
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => handler.current(req, socket, head));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, handler };
}

/** Resolves after `ms`, or rejects with `what` if `promise` has not settled by then. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Frames as a peer would write them: header blocks go through the peer's one compression context. */
export class PeerWriter {
  private readonly deflater = new HeaderCompressor();

  async synStream(streamId: number, headers: Record<string, string>, fin = false): Promise<Buffer> {
    const headerBlock = await this.deflater.compress(headers);
    return encodeFrame({
      type: "syn_stream",
      streamId,
      associatedStreamId: 0,
      priority: 0,
      slot: 0,
      fin,
      unidirectional: false,
      headerBlock,
    });
  }

  async headers(streamId: number, headers: Record<string, string>, fin = false): Promise<Buffer> {
    return encodeFrame({ type: "headers", streamId, fin, headerBlock: await this.deflater.compress(headers) });
  }

  close(): void {
    this.deflater.close();
  }
}

/** Two in-memory sockets joined like the ends of a TCP connection; each records what it sent. */
export function socketPair(): [LinkedSocket, LinkedSocket] {
  const a = new LinkedSocket();
  const b = new LinkedSocket();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export class LinkedSocket extends Duplex {
  peer: LinkedSocket | undefined;
  readonly sent: Buffer[] = [];

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sent.push(chunk);
    if (!this.peer?.destroyed) this.peer?.push(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.peer?.destroyed) this.peer?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Like a TCP reset: the other end is gone too.
    if (this.peer && !this.peer.destroyed) this.peer.destroy();
    callback(error);
  }

  output(): Buffer {
    return Buffer.concat(this.sent);
  }
}

/** Everything a readable delivers until it ends. */
export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** Polls until `condition` holds (header blocks inflate on the thread pool, so a tick is not always enough). */
export async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${condition.toString()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
