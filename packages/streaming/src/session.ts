import type { Duplex, Readable, Writable } from "node:stream";

/**
 * What the transports (SPDY/3.1, WebSocket) hand to the streaming server once a client's connection is
 * upgraded and its streams are in place. Nothing here knows which transport carries the bytes.
 */

/** A terminal size from the client's resize channel (Kubernetes' TerminalSize: two uint16). */
export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/** The streams an exec or attach asked for. They come from the CRI request, never from the URL. */
export interface StdioOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** A terminal: output comes on stdout only (stderr is never requested with it) and resize events apply. */
  readonly tty: boolean;
}

/** How a remote command ended; reported on the error channel the way the negotiated protocol says. */
export type CommandResult =
  /** The process ran: 0 is Success, anything else NonZeroExitCode with the code as a cause (v4+). */
  | { readonly kind: "exited"; readonly exitCode: number }
  /** It could not run, or the runtime failed: an InternalError status (v4+) or the plain text (v1–v3). */
  | { readonly kind: "error"; readonly message: string };

/** An exec or attach session with every stream the client was expected to open. */
export interface RemoteCommandSession {
  /** The negotiated protocol, e.g. `v4.channel.k8s.io`. */
  readonly protocol: string;
  readonly transport: "spdy" | "websocket";
  /** The client's stdin; ends when the client closes its stdin (SPDY FIN, WebSocket v5 close signal). */
  readonly stdin: Readable | undefined;
  /** Output to the client; `end()` half-closes the channel where the transport can. */
  readonly stdout: Writable | undefined;
  readonly stderr: Writable | undefined;
  /** Terminal sizes from the client, in order (the first usually right after the streams are made). */
  onResize(listener: (size: TerminalSize) => void): void;
  /** Writes the result on the error channel, ends every stream and closes the connection. Idempotent. */
  finish(result: CommandResult): Promise<void>;
  /** Settles when the connection is gone, whoever closed it (client, idle timeout, finish). Never rejects. */
  readonly closed: Promise<void>;
}

/** One forwarded TCP connection to a pod port. */
export interface PortForwardStream {
  readonly port: number;
  /** Bytes to and from the pod port. Its end is a half-close in either direction. */
  readonly data: Duplex;
  /** Reports a failure (plain text on the pair's error channel) and ends the pair. */
  fail(message: string): void;
  /** Ends the pair after success (closes the error channel without a message). */
  done(): void;
}

/** A port-forward session: SPDY clients open a stream pair per connection; WebSocket gives one per port at once. */
export interface PortForwardSession {
  readonly transport: "spdy" | "websocket";
  onStream(listener: (stream: PortForwardStream) => void): void;
  /** Ends the session: resets what is open and closes the connection. */
  close(): void;
  /** Settles when the connection is gone. Never rejects. */
  readonly closed: Promise<void>;
}

/** Limits every transport honours. */
export interface StreamTimeouts {
  /** How long the client has to open its streams after the upgrade (Kubernetes: 30 s). */
  readonly streamCreationMs: number;
  /** A connection with no frames either way for this long is closed (Kubernetes default: 4 h). */
  readonly idleMs: number;
}

export const DEFAULT_TIMEOUTS: StreamTimeouts = { streamCreationMs: 30_000, idleMs: 4 * 60 * 60 * 1000 };
