import { finished, Writable } from "node:stream";
import type { ChannelConnection } from "./connection";

/**
 * A writable channel towards the client. Each write completes once the connection can take more, so a
 * client that stops reading stops the writer instead of filling our memory. Writes after the connection is
 * gone are dropped without error: the session's `closed` is how the backend learns about that.
 */
export class ChannelWriter extends Writable {
  constructor(
    private readonly conn: ChannelConnection,
    private readonly channel: number,
    /** v5: `end()` tells the client with `[255, channel]`; older protocols cannot half-close. */
    private readonly closeSignal: boolean,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (chunk.length === 0) callback();
    else this.conn.send(this.channel, chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.closeSignal) this.conn.sendCloseSignal(this.channel);
    callback();
  }
}

/** Ends `stream` (if nobody did) and resolves once its queued writes reached the connection. */
export function flushWritable(stream: Writable | undefined): Promise<void> {
  if (stream === undefined || stream.writableFinished || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    finished(stream, { readable: false }, () => resolve());
    if (!stream.writableEnded) stream.end();
  });
}
