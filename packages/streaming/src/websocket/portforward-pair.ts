import { Duplex, finished } from "node:stream";
import type { PortForwardStream } from "../session";
import type { ChannelConnection } from "./connection";

/** How long the client may still send after the pod side has finished (containerd waits 1 s). */
const INPUT_LINGER_MS = 1000;

/**
 * The data and error channels of one forwarded port. WebSocket cannot half-close a channel, so ending the
 * data stream's writable side sends nothing on the wire; the pair is over once the backend calls `done()` or `fail()`.
 */
export class WebSocketPortForwardPair implements PortForwardStream {
  readonly data: Duplex;
  private readonly dataChannel: number;
  private readonly errorChannel: number;
  private inputOpen = true;
  private over = false;
  private linger: NodeJS.Timeout | undefined;

  constructor(
    private readonly conn: ChannelConnection,
    readonly port: number,
    index: number,
    private readonly onEnded: () => void,
  ) {
    this.dataChannel = index * 2;
    this.errorChannel = index * 2 + 1;
    this.data = new Duplex({
      allowHalfOpen: true,
      // Reading resumes the socket that a full buffer paused.
      read: () => conn.release(this),
      write: (chunk: Buffer, _encoding, callback) => {
        if (chunk.length === 0) callback();
        else conn.send(this.dataChannel, chunk, () => callback());
      },
    });
    // The client cannot half-close its side, so once the pod's side is done the connection is winding down:
    // like containerd, give the client a moment to finish sending, then end its input.
    this.data.once("finish", () => {
      if (!this.inputOpen) return;
      this.linger = setTimeout(() => this.endInput(), INPUT_LINGER_MS);
      this.linger.unref();
    });
  }

  /** The first message on both channels: the port as a little-endian uint16, as the kubelet sends it. */
  announce(): void {
    const port = Buffer.alloc(2);
    port.writeUInt16LE(this.port);
    this.conn.send(this.dataChannel, port);
    this.conn.send(this.errorChannel, port);
  }

  receive(payload: Buffer): void {
    if (!this.inputOpen || payload.length === 0) return;
    if (!this.data.push(payload)) this.conn.hold(this);
  }

  fail(message: string): void {
    if (this.over) return;
    if (message !== "") this.conn.send(this.errorChannel, Buffer.from(message));
    this.end();
  }

  done(): void {
    if (!this.over) this.end();
  }

  /** The connection is gone: the pod side sees EOF. */
  gone(): void {
    this.over = true;
    this.endInput();
  }

  private end(): void {
    this.over = true;
    this.endInput();
    // What the backend already wrote reaches the client before the session may close.
    if (this.data.writableFinished || this.data.destroyed) {
      this.onEnded();
      return;
    }
    finished(this.data, { readable: false }, () => this.onEnded());
    if (!this.data.writableEnded) this.data.end();
  }

  private endInput(): void {
    clearTimeout(this.linger);
    if (!this.inputOpen) return;
    this.inputOpen = false;
    this.data.push(null);
    // A stream nobody reads (its pipe destination already closed) would never emit 'end'; with nothing
    // buffered there is nothing to lose by letting it flow.
    if (this.data.readableFlowing !== true && this.data.readableLength === 0) this.data.resume();
    this.conn.release(this);
  }
}
