import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { PortForwardSession, PortForwardStream, StreamTimeouts } from "../session";
import type { SpdyConnection } from "./connection";
import { upgradeToSpdy } from "./handshake";
import type { SpdyStream } from "./stream";

/**
 * port-forward over SPDY: per forwarded TCP connection the client opens an error stream and a data stream,
 * both carrying `port`, `streamtype` and `requestid`. Pairs are matched by request id; a complete pair is one
 * PortForwardStream. Errors go on the pair's error stream as plain text, as Kubernetes clients expect.
 */

export const PORT_FORWARD_SPDY_PROTOCOLS = ["portforward.k8s.io"];

/** Undefined when the handshake was refused; otherwise the session, streams arriving as clients open them. */
export function upgradeSpdyPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  timeouts: StreamTimeouts,
): PortForwardSession | undefined {
  const peer = socket as Partial<Socket>;
  const session = new SpdyPortForwardSession(`${peer.remoteAddress ?? "?"}:${peer.remotePort ?? "?"}`, timeouts.streamCreationMs);
  const upgrade = upgradeToSpdy(req, socket, head, PORT_FORWARD_SPDY_PROTOCOLS, () => ({
    idleTimeoutMs: timeouts.idleMs,
    acceptStream: (stream) => session.accept(stream),
  }));
  if (!upgrade) return undefined;
  session.attach(upgrade.connection);
  return session;
}

/** Go's strconv.ParseUint(s, 10, 16) plus the "> 0" check. */
function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 0xffff ? port : undefined;
}

interface Pair {
  readonly requestId: string;
  error?: SpdyStream;
  data?: SpdyStream;
  timer?: NodeJS.Timeout;
}

class SpdyPortForwardSession implements PortForwardSession {
  readonly transport = "spdy" as const;
  readonly closed: Promise<void>;
  private connection: SpdyConnection | undefined;
  private connectionClosed: () => void = () => {};
  private readonly pairs = new Map<string, Pair>();
  private readonly listeners: Array<(stream: PortForwardStream) => void> = [];
  private pending: PortForwardStream[] = [];

  constructor(
    private readonly label: string,
    private readonly creationMs: number,
  ) {
    this.closed = new Promise((resolve) => {
      this.connectionClosed = resolve;
    });
  }

  attach(connection: SpdyConnection): void {
    this.connection = connection;
    void connection.closed.then(() => {
      for (const pair of this.pairs.values()) clearTimeout(pair.timer);
      this.pairs.clear();
      this.connectionClosed();
    });
  }

  onStream(listener: (stream: PortForwardStream) => void): void {
    this.listeners.push(listener);
    const pending = this.pending;
    this.pending = [];
    for (const stream of pending) listener(stream);
  }

  close(): void {
    void this.connection?.close();
  }

  /** The connection's acceptor: checks a new stream's headers (false resets it) and pairs it up. */
  accept(stream: SpdyStream): boolean {
    const type = stream.headers.get("streamtype");
    if (parsePort(stream.headers.get("port")) === undefined || (type !== "error" && type !== "data")) return false;
    // Very old clients send no request id; Kubernetes derives it from the stream ids (error n, data n+2).
    const requestId = stream.headers.get("requestid") || String(type === "error" ? stream.id : stream.id - 2);
    let pair = this.pairs.get(requestId);
    if (!pair) {
      const created: Pair = { requestId };
      created.timer = setTimeout(() => this.expire(created), this.creationMs);
      created.timer.unref();
      pair = created;
      this.pairs.set(requestId, pair);
    }
    if (pair[type]) {
      pair.error?.write(`error processing stream for request ${requestId}: ${type} stream already assigned`);
      return false;
    }
    pair[type] = stream;
    // The client half-closes its error stream at once; nothing it might still send there matters.
    if (type === "error") stream.resume();
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      this.pairs.delete(requestId);
      const forwarded = new SpdyPortForwardStream(parsePort(pair.data.headers.get("port")) as number, pair.data, pair.error);
      // After the acceptor returns, so a throwing listener cannot turn into a refused stream.
      queueMicrotask(() => this.deliver(forwarded));
    }
    return true;
  }

  private deliver(stream: PortForwardStream): void {
    if (this.listeners.length === 0) this.pending.push(stream);
    for (const listener of this.listeners) listener(stream);
  }

  private expire(pair: Pair): void {
    if (this.pairs.get(pair.requestId) !== pair) return;
    this.pairs.delete(pair.requestId);
    pair.error?.end(`(conn=${this.label}, request=${pair.requestId}) timed out waiting for streams`);
    pair.data?.reset();
  }
}

class SpdyPortForwardStream implements PortForwardStream {
  private ended = false;

  constructor(
    readonly port: number,
    readonly data: SpdyStream,
    private readonly error: SpdyStream,
  ) {}

  fail(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.endData();
    this.error.end(message);
  }

  done(): void {
    if (this.ended) return;
    this.ended = true;
    this.endData();
    this.error.end();
  }

  private endData(): void {
    if (!this.data.writableEnded && !this.data.destroyed) this.data.end();
  }
}
