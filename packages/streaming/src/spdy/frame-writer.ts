import type { Duplex } from "node:stream";
import type { HeaderCompressor, HeaderInput } from "./header-block";

interface Entry {
  /** Undefined while its header block is still being compressed: later frames wait behind it. */
  frame: Buffer | undefined;
  readonly written?: () => void;
}

/**
 * The outgoing side of a connection: frames reach the socket in the order they were sent, even though a
 * header block compresses asynchronously (a SYN_REPLY must not be overtaken by the DATA after it). The only
 * backpressure is the socket's: a `written` callback waits for 'drain' when the socket asked us to.
 */
export class FrameWriter {
  private queue: Entry[] = [];
  private needDrain = false;
  private drainWaiters: Array<() => void> = [];
  private endWhenFlushed = false;
  private dead = false;

  constructor(
    private readonly socket: Duplex,
    private readonly deflater: HeaderCompressor,
    /** Each frame handed to the socket (the idle timer counts them). */
    private readonly onWrite: () => void,
    private readonly onFailure: (reason: string) => void,
  ) {
    socket.on("drain", () => this.drained());
  }

  send(frame: Buffer, written?: () => void): void {
    this.queue.push(written ? { frame, written } : { frame });
    this.flush();
  }

  /** A frame with a header block: `make` builds it once the block is compressed; it keeps its place meanwhile. */
  sendWithHeaders(make: (headerBlock: Buffer) => Buffer, headers: HeaderInput): void {
    const entry: Entry = { frame: undefined };
    this.queue.push(entry);
    this.deflater.compress(headers).then(
      (block) => {
        entry.frame = make(block);
        this.flush();
      },
      (err: Error) => this.onFailure(`header compression failed: ${err.message}`),
    );
  }

  /** Ends the socket once everything queued so far is written. */
  end(): void {
    this.endWhenFlushed = true;
    this.flush();
  }

  /** The socket is gone: nothing more is written, and every waiting writer is let go. */
  abandon(): void {
    this.dead = true;
    const pending = this.queue.flatMap((e) => (e.written ? [e.written] : []));
    this.queue = [];
    this.drained();
    for (const done of pending) done();
  }

  private flush(): void {
    while (this.queue.length > 0) {
      const entry = this.queue[0] as Entry;
      if (entry.frame === undefined) return;
      this.queue.shift();
      if (!this.dead && this.socket.writable) {
        if (!this.socket.write(entry.frame)) this.needDrain = true;
        this.onWrite();
      }
      if (!entry.written) continue;
      if (this.needDrain && !this.dead) this.drainWaiters.push(entry.written);
      else entry.written();
    }
    if (this.endWhenFlushed && !this.dead) {
      this.endWhenFlushed = false;
      this.socket.end();
    }
  }

  private drained(): void {
    this.needDrain = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const done of waiters) done();
  }
}
