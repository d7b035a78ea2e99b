import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { ResizeDecoder, ResizeEvents } from "../resize";
import type { CommandResult, RemoteCommandSession, StdioOptions, StreamTimeouts, TerminalSize } from "../session";
import { encodeStatus } from "../status";
import type { SpdyConnection } from "./connection";
import { upgradeToSpdy } from "./handshake";
import type { SpdyStream } from "./stream";

/**
 * exec and attach over SPDY (remotecommand): the client opens one stream per stdio channel, each named by
 * its `streamtype` header, waiting for our SYN_REPLY before the next. Once all expected streams are there
 * the session starts; at the end the result goes on the error stream (JSON Status from v4 on, plain text
 * before) and the connection closes.
 */

/** Client's order decides; v5 over SPDY is v4 (its close signal only exists on WebSocket). */
export const REMOTE_COMMAND_SPDY_PROTOCOLS = [
  "v5.channel.k8s.io",
  "v4.channel.k8s.io",
  "v3.channel.k8s.io",
  "v2.channel.k8s.io",
  "channel.k8s.io",
];

/** Sizes kept for a resize listener that is not registered yet; older ones are stale anyway. */

function versionOf(protocol: string): number {
  const m = /^v(\d+)\./.exec(protocol);
  return m ? Number(m[1]) : 1;
}

/** The streams Kubernetes' server waits for: error, the requested stdio, and resize for a tty from v3 on. */
function expectedStreams(stdio: StdioOptions, version: number): string[] {
  const types = ["error"];
  if (stdio.stdin) types.push("stdin");
  if (stdio.stdout) types.push("stdout");
  if (stdio.stderr && !stdio.tty) types.push("stderr");
  if (stdio.tty && version >= 3) types.push("resize");
  return types;
}

/**
 * Upgrades an exec/attach request and waits (up to `streamCreationMs`) for the client's streams. Undefined
 * when the handshake was refused, the streams did not all come in time, or the client went away.
 */
export async function upgradeSpdyRemoteCommand(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  stdio: StdioOptions,
  timeouts: StreamTimeouts,
): Promise<RemoteCommandSession | undefined> {
  const streams = new Map<string, SpdyStream>();
  let expected: string[] = [];
  let complete: () => void = () => {};
  const allThere = new Promise<"ready">((resolve) => {
    complete = () => resolve("ready");
  });
  const upgrade = upgradeToSpdy(req, socket, head, REMOTE_COMMAND_SPDY_PROTOCOLS, (protocol) => {
    expected = expectedStreams(stdio, versionOf(protocol));
    return {
      idleTimeoutMs: timeouts.idleMs,
      acceptStream: (stream) => {
        const type = stream.headers.get("streamtype") ?? "";
        if (expected.includes(type) && !streams.has(type)) {
          streams.set(type, stream);
          if (streams.size === expected.length) complete();
        } else {
          // Unknown, unrequested or repeated: Go replies to it as well; we just drop what it carries.
          stream.resume();
        }
        return true;
      },
    };
  });
  if (!upgrade) return undefined;
  const { connection, protocol } = upgrade;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeouts.streamCreationMs);
  });
  const outcome = await Promise.race([allThere, timedOut, connection.closed.then(() => "closed" as const)]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    // Kubernetes logs "timed out waiting for client to create streams" and drops the connection.
    void connection.close();
    return undefined;
  }
  return new SpdyRemoteCommandSession(protocol, connection, streams);
}

class SpdyRemoteCommandSession implements RemoteCommandSession {
  readonly transport = "spdy" as const;
  readonly stdin: SpdyStream | undefined;
  readonly stdout: SpdyStream | undefined;
  readonly stderr: SpdyStream | undefined;
  readonly closed: Promise<void>;
  private readonly error: SpdyStream;
  private readonly version: number;
  private readonly sizes = new ResizeEvents();
  private finishing: Promise<void> | undefined;

  constructor(
    readonly protocol: string,
    private readonly connection: SpdyConnection,
    streams: ReadonlyMap<string, SpdyStream>,
  ) {
    this.version = versionOf(protocol);
    this.error = streams.get("error") as SpdyStream;
    this.stdin = streams.get("stdin");
    this.stdout = streams.get("stdout");
    this.stderr = streams.get("stderr");
    this.closed = connection.closed;
    // The client never writes on these; reading them keeps a misbehaving client from stalling the connection.
    for (const s of [this.error, this.stdout, this.stderr]) s?.resume();
    const resize = streams.get("resize");
    if (resize) {
      const decoder = new ResizeDecoder();
      resize.on("data", (chunk: Buffer) => {
        for (const size of decoder.push(chunk)) this.sizes.emit(size);
      });
    }
  }

  onResize(listener: (size: TerminalSize) => void): void {
    this.sizes.listen(listener);
  }

  finish(result: CommandResult): Promise<void> {
    this.finishing ??= this.end(result);
    return this.finishing;
  }

  /** Output first (FIN stdout/stderr), then the status on the error stream and its FIN, then GOAWAY and close. */
  private async end(result: CommandResult): Promise<void> {
    await this.endStream(this.stdout);
    await this.endStream(this.stderr);
    const status = encodeStatus(result, this.version >= 4 ? "v4" : "v1");
    if (status) this.error.write(status);
    await this.endStream(this.error);
    // Like the Go server: streams we did not finish (stdin, resize) are reset, then GOAWAY and our FIN.
    void this.connection.close();
  }

  /** Ends a stream and waits until everything written on it went to the socket (or the connection died). */
  private endStream(stream: SpdyStream | undefined): Promise<void> {
    if (!stream || stream.writableFinished || stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once("finish", resolve).once("close", resolve);
      void this.connection.closed.then(() => resolve());
      if (!stream.writableEnded) stream.end();
    });
  }
}
