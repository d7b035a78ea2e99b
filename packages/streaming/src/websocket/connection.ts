import type { Duplex } from "node:stream";
import type { RawData, WebSocket } from "ws";
import { type ChannelFraming, decodeFrame, encodeCloseSignal, encodeFrame, type WireMessage } from "./channels";
import { IdleTimer } from "./idle";

/** What a session does with the frames of its channels. */
export interface ChannelHandlers {
  data(channel: number, payload: Buffer): void;
  /** v5 `[255, channel]`. */
  closeSignal(channel: number): void;
  /** The connection is gone, for whatever reason. Called once. */
  gone(): void;
}

/** Up to this many bytes may wait on the socket before senders are told to hold on. */
export const SEND_HIGH_WATER = 256 * 1024;
/** After our close frame, how long the client gets to hang up before the socket is dropped. */
const CLOSE_GRACE_MS = 2000;

// RFC 6455 close codes we use.
const NORMAL = 1000;
const PROTOCOL_ERROR = 1002;

/**
 * One upgraded WebSocket carrying Kubernetes channels: framing, idle timeout, send backpressure and a close
 * that never throws. It emits no 'error' events: every failure ends up as `gone()` and `closed`.
 */
export class ChannelConnection {
  readonly closed: Promise<void>;
  private open = true;
  private readonly idle: IdleTimer;
  // Senders waiting for the socket to drain; released at once if the connection goes away.
  private readonly waiting = new Set<() => void>();
  private readonly holds = new Set<unknown>();
  private grace: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly framing: ChannelFraming,
    idleMs: number,
    private readonly handlers: ChannelHandlers,
  ) {
    this.idle = new IdleTimer(idleMs, () => this.close());
    let settle: () => void = () => {};
    this.closed = new Promise((resolve) => {
      settle = resolve;
    });
    ws.on("message", (data, isBinary) => this.receive(data, isBinary));
    ws.on("ping", () => this.idle.touch());
    ws.on("pong", () => this.idle.touch());
    // ws closes the connection itself after an error (bad frame, oversized message, reset socket).
    ws.on("error", () => {});
    ws.once("close", () => {
      this.open = false;
      this.idle.stop();
      clearTimeout(this.grace);
      this.releaseWaiting();
      this.handlers.gone();
      settle();
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Sends `payload` on `channel`; `onSent` runs once more may be sent (immediately if little is queued). */
  send(channel: number, payload: Uint8Array, onSent?: () => void): void {
    this.sendMessage(encodeFrame(this.framing.encoding, channel, payload), onSent);
  }

  /** v5 half-close of one of our channels. */
  sendCloseSignal(channel: number, onSent?: () => void): void {
    this.sendMessage(encodeCloseSignal(channel), onSent);
  }

  /** Stops reading from the socket while any holder wants it (TCP then slows the client down). */
  hold(holder: unknown): void {
    this.holds.add(holder);
    if (this.open) this.ws.pause();
  }

  release(holder: unknown): void {
    if (this.holds.delete(holder) && this.holds.size === 0 && this.open) this.ws.resume();
  }

  /** Close frame, then our FIN right away (as the Go servers do); the socket is dropped if the client lingers. */
  close(code: number = NORMAL): void {
    if (!this.open) return;
    this.open = false;
    this.idle.stop();
    this.releaseWaiting();
    // A paused socket would never see the client's close frame or FIN.
    this.holds.clear();
    try {
      this.ws.resume();
      this.ws.close(code);
      this.socket.end();
    } catch {
      this.socket.destroy();
    }
    this.grace = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.grace.unref();
  }

  private sendMessage(message: WireMessage, onSent: (() => void) | undefined): void {
    if (!this.open) {
      onSent?.();
      return;
    }
    this.idle.touch();
    let release: (() => void) | undefined;
    this.ws.send(message, { binary: typeof message !== "string" }, () => {
      if (release === undefined) return;
      this.waiting.delete(release);
      release();
    });
    if (onSent === undefined) return;
    if (this.ws.bufferedAmount <= SEND_HIGH_WATER) {
      onSent();
      return;
    }
    let done = false;
    release = () => {
      if (done) return;
      done = true;
      onSent();
    };
    this.waiting.add(release);
  }

  private releaseWaiting(): void {
    const all = [...this.waiting];
    this.waiting.clear();
    for (const release of all) release();
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (!this.open) return;
    this.idle.touch();
    const frame = decodeFrame(this.framing, toBuffer(data), isBinary);
    switch (frame.kind) {
      case "data":
        this.handlers.data(frame.channel, frame.payload);
        return;
      case "close":
        this.handlers.closeSignal(frame.channel);
        return;
      case "empty":
        return;
      case "invalid":
        this.close(PROTOCOL_ERROR);
        return;
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
