import { Duplex } from "node:stream";
import { RstStatus } from "./frames";
import type { SpdyHeaders } from "./header-block";

/** Go's peers (containerd) send stdout in 32 KiB DATA frames; we cut our writes the same way. */
export const MAX_DATA_FRAME = 32 * 1024;
/** How much received data a stream holds for a slow reader before the connection stops reading the socket. */
const READ_BUFFER = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/** What a stream needs from its connection. */
export interface StreamHost {
  /** Queues a DATA frame; `written` runs once the socket took it without asking us to wait. */
  sendData(stream: SpdyStream, data: Buffer, fin: boolean, written: () => void): void;
  sendReset(stream: SpdyStream, status: number): void;
  /** The stream's reader is full (true) or wants more (false): pause or resume the socket. */
  readBlocked(stream: SpdyStream, blocked: boolean): void;
  /** Both directions are over: the connection can forget the stream. */
  streamDone(stream: SpdyStream): void;
}

/**
 * One SPDY stream as a Node Duplex. Readable: the peer's DATA, ending at its FIN. Writable: our DATA frames,
 * `end()` sends an empty DATA with FIN (the Go peers' half-close). There is no flow-control window: the Go
 * peers neither send nor honour WINDOW_UPDATE, so only the socket's own backpressure slows writers.
 * After a reset or the loss of the connection, reads end and writes are dropped, never errors: the
 * connection's `closed` tells the owner what happened.
 */
export class SpdyStream extends Duplex {
  /** The SYN_REPLY headers, on streams we opened. */
  replyHeaders: SpdyHeaders | undefined;
  private localDone = false;
  private remoteDone = false;
  private wasReset = false;
  // Writes made before the connection has queued our SYN_REPLY wait here, so DATA never overtakes the reply.
  private held: Array<() => void> | undefined;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    /** The headers of the SYN_STREAM that opened the stream. */
    readonly headers: SpdyHeaders,
    options: { readonly held?: boolean } = {},
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: READ_BUFFER, decodeStrings: true });
    if (options.held) this.held = [];
  }

  /** The stream was reset, by either side. */
  get isReset(): boolean {
    return this.wasReset;
  }

  /** Our side is finished (FIN sent, or reset): further writes are dropped. */
  get localEnded(): boolean {
    return this.localDone;
  }

  /** The peer's side is finished (FIN received, or reset). */
  get remoteEnded(): boolean {
    return this.remoteDone;
  }

  /** Sends RST_STREAM (CANCEL unless told otherwise) and ends both directions. */
  reset(status: number = RstStatus.Cancel): void {
    if (this.localDone && this.remoteDone) return;
    this.wasReset = true;
    this.host.sendReset(this, status);
    this.finishLocal();
    this.finishRemote();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.held) {
      this.held.push(() => this._write(chunk, _encoding, callback));
      return;
    }
    if (this.localDone || chunk.length === 0) {
      callback();
      return;
    }
    for (let at = 0; at < chunk.length; at += MAX_DATA_FRAME) {
      const last = at + MAX_DATA_FRAME >= chunk.length;
      this.host.sendData(this, chunk.subarray(at, at + MAX_DATA_FRAME), false, last ? () => callback() : noop);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.held) {
      this.held.push(() => this._final(callback));
      return;
    }
    if (this.localDone) {
      callback();
      return;
    }
    this.host.sendData(this, EMPTY, true, () => callback());
    this.finishLocal();
  }

  override _read(): void {
    this.host.readBlocked(this, false);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!(this.localDone && this.remoteDone)) this.reset();
    callback(error);
  }

  /** Connection side: the SYN_REPLY is queued (or the stream was refused); held writes may go now. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    for (const run of held ?? []) run();
  }

  /** Connection side: a DATA frame from the peer. */
  deliver(data: Buffer, fin: boolean): void {
    if (this.remoteDone) return;
    if (data.length > 0 && !this.push(data)) this.host.readBlocked(this, true);
    if (fin) this.finishRemote();
  }

  /** Connection side: the peer half-closed without data (SYN_STREAM/SYN_REPLY/HEADERS with FIN). */
  remoteFin(): void {
    this.finishRemote();
  }

  /** Connection side: the peer reset the stream. */
  remoteReset(): void {
    this.wasReset = true;
    this.finishLocal();
    this.finishRemote();
  }

  /** Connection side: the connection is gone; readers see EOF, writers are ignored. */
  abandon(): void {
    this.finishLocal();
    this.finishRemote();
    this.release();
  }

  /** Connection side: our side was never opened for writing (a refused or unidirectional stream). */
  closeLocal(): void {
    this.finishLocal();
  }

  private finishLocal(): void {
    if (this.localDone) return;
    this.localDone = true;
    if (this.remoteDone) this.host.streamDone(this);
  }

  private finishRemote(): void {
    if (this.remoteDone) return;
    this.remoteDone = true;
    this.push(null);
    this.host.readBlocked(this, false);
    if (this.localDone) this.host.streamDone(this);
  }
}

function noop(): void {}
