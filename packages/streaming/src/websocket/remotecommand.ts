import type { IncomingMessage } from "node:http";
import { type Duplex, Readable, type Writable } from "node:stream";
import type { WebSocket } from "ws";
import { ResizeDecoder, ResizeEvents } from "../resize";
import type { CommandResult, RemoteCommandSession, StdioOptions, StreamTimeouts, TerminalSize } from "../session";
import { encodeStatus, type StatusFlavour } from "../status";
import { type ChannelFraming, ERROR_CHANNEL, RESIZE_CHANNEL, STDERR_CHANNEL, STDIN_CHANNEL, STDOUT_CHANNEL } from "./channels";
import { ChannelConnection } from "./connection";
import { acceptWebSocket } from "./handshake";
import { ChannelWriter, flushWritable } from "./output";

interface ProtocolTraits {
  readonly framing: ChannelFraming;
  readonly status: StatusFlavour;
}

const binary: ChannelFraming = { encoding: "binary", closeSignals: false };
const base64: ChannelFraming = { encoding: "base64", closeSignals: false };

/** Exec/attach subprotocols; `""` is a client that asks for none (binary, v1 semantics). */
const TRAITS: Readonly<Record<string, ProtocolTraits>> = {
  "v5.channel.k8s.io": { framing: { encoding: "binary", closeSignals: true }, status: "v4" },
  "v4.channel.k8s.io": { framing: binary, status: "v4" },
  "v4.base64.channel.k8s.io": { framing: base64, status: "v4" },
  "base64.channel.k8s.io": { framing: base64, status: "v1" },
  "channel.k8s.io": { framing: binary, status: "v1" },
  "": { framing: binary, status: "v1" },
};

export const REMOTE_COMMAND_WEBSOCKET_PROTOCOLS: readonly string[] = Object.keys(TRAITS);

/**
 * Completes a WebSocket upgrade for exec/attach. Undefined when the handshake was refused (403 when no
 * subprotocol overlaps) or the client left during it; the socket is taken care of either way.
 */
export async function upgradeWebSocketRemoteCommand(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  stdio: StdioOptions,
  timeouts: StreamTimeouts,
): Promise<RemoteCommandSession | undefined> {
  const accepted = await acceptWebSocket(req, socket, head, REMOTE_COMMAND_WEBSOCKET_PROTOCOLS);
  if (accepted === undefined) return undefined;
  const traits = TRAITS[accepted.protocol] as ProtocolTraits;
  return new WebSocketRemoteCommandSession(accepted.ws, socket, accepted.protocol, traits, stdio, timeouts.idleMs);
}

class WebSocketRemoteCommandSession implements RemoteCommandSession {
  readonly transport = "websocket";
  readonly stdin: Readable | undefined;
  readonly stdout: Writable | undefined;
  readonly stderr: Writable | undefined;
  readonly closed: Promise<void>;
  private readonly conn: ChannelConnection;
  private stdinOpen: boolean;
  private readonly resize: ResizeDecoder | undefined;
  private readonly sizes = new ResizeEvents();
  private finishing: Promise<void> | undefined;

  constructor(
    ws: WebSocket,
    socket: Duplex,
    readonly protocol: string,
    private readonly traits: ProtocolTraits,
    stdio: StdioOptions,
    idleMs: number,
  ) {
    this.conn = new ChannelConnection(ws, socket, traits.framing, idleMs, {
      data: (channel, payload) => this.receive(channel, payload),
      closeSignal: (channel) => this.closeSignal(channel),
      gone: () => this.endStdin(),
    });
    this.closed = this.conn.closed;
    this.stdinOpen = stdio.stdin;
    // While stdin is over its buffer, reading pauses; the Readable asking for more resumes it.
    this.stdin = stdio.stdin ? new Readable({ read: () => this.conn.release(this) }) : undefined;
    const signals = traits.framing.closeSignals;
    this.stdout = stdio.stdout ? new ChannelWriter(this.conn, STDOUT_CHANNEL, signals) : undefined;
    this.stderr = stdio.stderr ? new ChannelWriter(this.conn, STDERR_CHANNEL, signals) : undefined;
    this.resize = stdio.tty ? new ResizeDecoder() : undefined;
    // An empty message on the lowest writable channel tells the client the session is live.
    const first = stdio.stdout ? STDOUT_CHANNEL : stdio.stderr ? STDERR_CHANNEL : ERROR_CHANNEL;
    this.conn.send(first, Buffer.alloc(0));
  }

  onResize(listener: (size: TerminalSize) => void): void {
    this.sizes.listen(listener);
  }

  finish(result: CommandResult): Promise<void> {
    this.finishing ??= this.runFinish(result);
    return this.finishing;
  }

  private async runFinish(result: CommandResult): Promise<void> {
    // Output the backend already wrote goes out before the status.
    await Promise.race([Promise.all([flushWritable(this.stdout), flushWritable(this.stderr)]), this.closed]);
    if (this.conn.isOpen) {
      const status = encodeStatus(result, this.traits.status);
      if (status !== undefined) this.conn.send(ERROR_CHANNEL, status);
      this.conn.close();
    }
    await this.closed;
  }

  private receive(channel: number, payload: Buffer): void {
    if (payload.length === 0) return;
    if (channel === STDIN_CHANNEL && this.stdin !== undefined && this.stdinOpen) {
      if (!this.stdin.push(payload)) this.conn.hold(this);
    } else if (channel === RESIZE_CHANNEL && this.resize !== undefined) {
      for (const size of this.resize.push(payload)) this.sizes.emit(size);
    }
    // Anything else is for a channel the request did not open (or one that does not exist): dropped.
  }

  private closeSignal(channel: number): void {
    if (channel > RESIZE_CHANNEL) this.conn.close(1002);
    else if (channel === STDIN_CHANNEL) this.endStdin();
  }

  private endStdin(): void {
    if (!this.stdinOpen) return;
    this.stdinOpen = false;
    const stdin = this.stdin as Readable;
    stdin.push(null);
    // Let 'end' fire even if nobody reads any more (e.g. the pipe into a process was torn down): nothing is lost.
    if (stdin.readableFlowing !== true && stdin.readableLength === 0) stdin.resume();
    this.conn.release(this);
  }
}
