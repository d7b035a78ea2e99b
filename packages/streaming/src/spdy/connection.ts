import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { FrameWriter } from "./frame-writer";
import { encodeFrame, type Frame, FrameParser, GoAwayStatus, MAX_STREAM_ID, RstStatus, type SpdyProtocolError } from "./frames";
import { HeaderCompressor, HeaderDecompressor, type HeaderInput, normalizeHeaders, type SpdyHeaders } from "./header-block";
import { SpdyStream, type StreamHost } from "./stream";

export interface SpdyConnectionOptions {
  /** A server accepts odd (client) stream ids and opens even ones; a client the other way round. */
  readonly role: "server" | "client";
  /**
   * Called for each stream the peer opens, once its headers are decoded and before anything else is read.
   * Returning false resets it (RST_STREAM CANCEL) instead of replying. Without it every stream is accepted.
   */
  readonly acceptStream?: (stream: SpdyStream) => boolean;
  /** Reset everything and close after this long without a frame either way; 0 or absent: never. */
  readonly idleTimeoutMs?: number;
  /** After our GOAWAY, how long the peer has to close its side before we drop the socket. */
  readonly closeGraceMs?: number;
}

type InboxItem = Frame | { readonly type: "eof" } | { readonly type: "error"; readonly error: SpdyProtocolError };

const DEFAULT_CLOSE_GRACE_MS = 2000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A SPDY/3.1 connection over an upgraded socket, shaped after the Go implementation the Kubernetes clients
 * use (moby/spdystream): every peer stream is answered at once with an empty SYN_REPLY, PINGs of the peer's
 * parity are echoed, SETTINGS and WINDOW_UPDATE are ignored and nothing waits for a window. Frames are
 * handled strictly in arrival order; a header block pauses the socket while it inflates. Nothing here throws
 * or emits 'error': a broken peer or socket just ends the connection, and `closed` settles.
 */
export class SpdyConnection {
  /** Settles once the socket is gone, whoever ended it. Never rejects. */
  readonly closed: Promise<void>;
  private resolveClosed: () => void = () => {};
  private state: "open" | "closing" | "closed" = "open";
  private reason: string | undefined;
  private readonly parser = new FrameParser();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly opening = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void }>();
  private readonly pings = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly blocked = new Set<SpdyStream>();
  private inbox: InboxItem[] = [];
  private inboxAt = 0;
  private inflating = false;
  private paused = false;
  private readonly writer: FrameWriter;
  private lastPeerStreamId = 0;
  private nextStreamId: number;
  private nextPingId: number;
  private goawayReceived = false;
  private socketGone: string | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  private readonly host: StreamHost = {
    sendData: (stream, data, fin, written) => this.writer.send(encodeFrame({ type: "data", streamId: stream.id, fin, data }), written),
    sendReset: (stream, status) => this.writer.send(encodeFrame({ type: "rst_stream", streamId: stream.id, status })),
    readBlocked: (stream, blocked) => {
      if (blocked) this.blocked.add(stream);
      else this.blocked.delete(stream);
      this.updateReading();
    },
    streamDone: (stream) => {
      this.streams.delete(stream.id);
      this.blocked.delete(stream);
      this.updateReading();
      this.closeIfDrainedAfterGoaway();
    },
  };

  constructor(
    private readonly socket: Duplex,
    private readonly options: SpdyConnectionOptions,
    head?: Buffer,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.nextStreamId = options.role === "client" ? 1 : 2;
    this.nextPingId = options.role === "client" ? 1 : 2;
    socket.on("error", (err: Error) => this.gone(`socket error: ${err.message}`));
    socket.on("close", () => this.gone("socket closed"));
    socket.on("end", () => this.enqueue([{ type: "eof" }]));
    this.writer = new FrameWriter(
      socket,
      this.deflater,
      () => this.touch(),
      (reason) => this.lost(reason),
    );
    (socket as Partial<Socket>).setNoDelay?.(true);
    if (socket.destroyed) {
      this.lost("socket already closed");
      return;
    }
    const idle = options.idleTimeoutMs ?? 0;
    if (idle > 0) {
      this.idleTimer = setTimeout(() => this.shutdown(GoAwayStatus.Ok, "idle timeout", true), Math.min(idle, MAX_TIMER_MS));
      this.idleTimer.unref();
    }
    if (head && head.length > 0) this.onData(head);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    if (!this.paused) socket.resume();
  }

  /** Why the connection ended (or is ending); undefined while it is open. */
  get closeReason(): string | undefined {
    return this.reason;
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  /** Opens a stream (SYN_STREAM) and resolves once the peer replied; rejects if it resets it or the connection ends. */
  openStream(headers: HeaderInput, options: { readonly fin?: boolean } = {}): Promise<SpdyStream> {
    if (this.state !== "open" || this.goawayReceived) return Promise.reject(new Error("SPDY connection is closed"));
    const id = this.nextStreamId;
    if (id > MAX_STREAM_ID) return Promise.reject(new Error("SPDY stream ids exhausted"));
    let normalized: Map<string, string>;
    try {
      normalized = normalizeHeaders(headers);
    } catch (err) {
      return Promise.reject(err);
    }
    this.nextStreamId += 2;
    const fin = options.fin ?? false;
    const stream = new SpdyStream(this.host, id, normalized);
    this.streams.set(id, stream);
    if (fin) stream.closeLocal();
    return new Promise((resolve, reject) => {
      this.opening.set(id, { resolve, reject });
      this.writer.sendWithHeaders(
        (headerBlock) =>
          encodeFrame({
            type: "syn_stream",
            streamId: id,
            associatedStreamId: 0,
            priority: 0,
            slot: 0,
            fin,
            unidirectional: false,
            headerBlock,
          }),
        normalized,
      );
    });
  }

  /** Sends a PING with our parity and resolves when the peer echoes it. */
  ping(): Promise<void> {
    if (this.state !== "open") return Promise.reject(new Error("SPDY connection is closed"));
    const id = this.nextPingId;
    this.nextPingId = this.nextPingId + 2 > 0xffffffff ? 2 - (id % 2) : this.nextPingId + 2;
    return new Promise((resolve, reject) => {
      this.pings.set(id, { resolve, reject });
      this.writer.send(encodeFrame({ type: "ping", id }));
    });
  }

  /** Resets the streams we have not finished, sends GOAWAY(OK) and ends the socket. Resolves with `closed`. */
  close(): Promise<void> {
    this.shutdown(GoAwayStatus.Ok, "closed locally", false);
    return this.closed;
  }

  /** Drops the socket at once, without GOAWAY. */
  destroy(reason = "destroyed"): void {
    this.lost(reason);
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    if (this.state !== "open") return; // after our GOAWAY the peer's frames no longer matter
    const { frames, error } = this.parser.push(chunk);
    const items: InboxItem[] = frames;
    this.enqueue(error ? [...items, { type: "error", error }] : items);
  }

  private enqueue(items: InboxItem[]): void {
    for (const item of items) this.inbox.push(item);
    this.pump();
  }

  /** Handles queued frames in order; a header block suspends the loop until it is inflated. */
  private pump(): void {
    while (!this.inflating && this.state === "open" && this.inboxAt < this.inbox.length) {
      const item = this.inbox[this.inboxAt++] as InboxItem;
      if ("headerBlock" in item) {
        this.inflating = true;
        this.updateReading();
        this.inflater.decompress(item.headerBlock).then(
          (headers) => {
            this.inflating = false;
            if (this.state === "open") this.onHeaderFrame(item, headers);
            this.updateReading();
            this.pump();
          },
          (err: Error) => {
            this.inflating = false;
            this.shutdown(GoAwayStatus.ProtocolError, `protocol error: ${err.message}`, true);
          },
        );
        return;
      }
      this.onFrame(item);
    }
    if (this.inboxAt >= this.inbox.length || this.state !== "open") {
      this.inbox = [];
      this.inboxAt = 0;
    }
    this.settleIfGone();
  }

  private onFrame(item: Exclude<InboxItem, { headerBlock: Buffer }>): void {
    if (item.type === "eof") {
      this.peerEnded();
      return;
    }
    if (item.type === "error") {
      this.shutdown(GoAwayStatus.ProtocolError, `protocol error: ${item.error.message}`, true);
      return;
    }
    this.touch();
    switch (item.type) {
      case "data":
        // Go drops DATA for streams it does not know (closed, reset or never opened); so do we.
        this.streams.get(item.streamId)?.deliver(item.data, item.fin);
        return;
      case "rst_stream":
        this.opening.get(item.streamId)?.reject(new Error(`stream ${item.streamId} was reset by the peer (status ${item.status})`));
        this.opening.delete(item.streamId);
        this.streams.get(item.streamId)?.remoteReset();
        return;
      case "ping":
        if (item.id % 2 === this.nextPingId % 2) {
          this.pings.get(item.id)?.resolve();
          this.pings.delete(item.id);
        } else {
          this.writer.send(encodeFrame(item));
        }
        return;
      case "goaway":
        this.goawayReceived = true;
        for (const [id, pending] of this.opening) {
          if (id <= item.lastGoodStreamId) continue;
          pending.reject(new Error(`stream ${id} refused by GOAWAY`));
          this.opening.delete(id);
          this.streams.get(id)?.abandon();
        }
        this.closeIfDrainedAfterGoaway();
        return;
      case "settings":
      case "window_update":
        return; // no flow control: the Go peers never send updates, so we must not wait for any
    }
  }

  private onHeaderFrame(frame: Extract<Frame, { headerBlock: Buffer }>, headers: SpdyHeaders): void {
    this.touch();
    if (frame.type === "syn_stream") {
      this.onSynStream(frame, headers);
      return;
    }
    const stream = this.streams.get(frame.streamId);
    if (frame.type === "syn_reply") {
      const pending = this.opening.get(frame.streamId);
      if (!pending || !stream) return;
      this.opening.delete(frame.streamId);
      stream.replyHeaders = headers;
      if (frame.fin) stream.remoteFin();
      pending.resolve(stream);
      return;
    }
    if (frame.fin) stream?.remoteFin(); // HEADERS: nothing to do with its headers, but FIN half-closes
  }

  private onSynStream(frame: Extract<Frame, { type: "syn_stream" }>, headers: SpdyHeaders): void {
    const id = frame.streamId;
    if (this.goawayReceived) return; // Go drops new streams once GOAWAY is under way
    const peerParity = this.options.role === "server" ? 1 : 0;
    if (id % 2 !== peerParity || id <= this.lastPeerStreamId) {
      this.writer.send(encodeFrame({ type: "rst_stream", streamId: id, status: RstStatus.ProtocolError }));
      return;
    }
    this.lastPeerStreamId = id;
    const stream = new SpdyStream(this.host, id, headers, { held: true });
    this.streams.set(id, stream);
    if (frame.unidirectional) stream.closeLocal();
    if (frame.fin) stream.remoteFin();
    let accepted: boolean;
    try {
      accepted = this.options.acceptStream?.(stream) ?? true;
    } catch {
      accepted = false;
    }
    if (accepted)
      this.writer.sendWithHeaders((headerBlock) => encodeFrame({ type: "syn_reply", streamId: id, fin: false, headerBlock }), {});
    else stream.reset(RstStatus.Cancel);
    stream.release();
  }

  private peerEnded(): void {
    // The peer will send nothing more: its streams end here; ours get what is queued, then our FIN.
    this.beginClosing("peer closed the connection");
    for (const stream of this.streams.values()) stream.abandon();
    this.streams.clear();
    this.writer.end();
    this.settleIfGone();
  }

  /** Pauses the socket while a header block inflates or a stream's reader is full. */
  private updateReading(): void {
    const pause = this.state === "open" && (this.inflating || this.blocked.size > 0);
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  private touch(): void {
    this.idleTimer?.refresh();
  }

  private stopIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined; // refresh() would re-arm a cleared timer
  }

  // ---- shutdown ----

  /** The socket closed or failed. Frames already read are still handled first (a SYN_REPLY may be inflating). */
  private gone(reason: string): void {
    this.socketGone ??= reason;
    this.settleIfGone();
  }

  private settleIfGone(): void {
    if (this.socketGone === undefined || this.state === "closed") return;
    if (this.state === "open" && (this.inflating || this.inboxAt < this.inbox.length)) return;
    this.lost(this.socketGone);
  }

  private closeIfDrainedAfterGoaway(): void {
    if (this.goawayReceived && this.state === "open" && this.streams.size === 0 && this.opening.size === 0) {
      this.shutdown(GoAwayStatus.Ok, "peer sent GOAWAY", false);
    }
  }

  /** Our GOAWAY: resets streams (all, or those we have not finished), then ends the socket once it is written. */
  private shutdown(status: number, reason: string, resetAll: boolean): void {
    if (this.state !== "open") return;
    this.beginClosing(reason);
    for (const stream of [...this.streams.values()]) {
      if (resetAll || !stream.localEnded) stream.reset(RstStatus.Cancel);
      else stream.abandon();
    }
    this.streams.clear();
    this.writer.send(encodeFrame({ type: "goaway", lastGoodStreamId: this.lastPeerStreamId, status }));
    this.writer.end();
    this.settleIfGone();
  }

  private beginClosing(reason: string): void {
    this.state = "closing";
    this.reason ??= reason;
    this.stopIdleTimer();
    this.rejectPending(new Error(`SPDY connection closing: ${reason}`));
    this.blocked.clear();
    this.updateReading(); // keep reading (and discarding) so the peer's FIN reaches us
    this.graceTimer = setTimeout(() => this.lost("peer did not close in time"), this.options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }

  /** The socket is gone (or must go now): release everything and settle `closed`. */
  private lost(reason: string): void {
    if (this.state === "closed") return;
    if (this.state === "open") this.rejectPending(new Error(`SPDY connection lost: ${reason}`));
    this.reason ??= reason;
    this.state = "closed";
    this.stopIdleTimer();
    clearTimeout(this.graceTimer);
    for (const stream of this.streams.values()) stream.abandon();
    this.streams.clear();
    this.blocked.clear();
    this.inbox = [];
    this.writer.abandon();
    this.inflater.close();
    this.deflater.close();
    if (!this.socket.destroyed) this.socket.destroy();
    this.resolveClosed();
  }

  private rejectPending(err: Error): void {
    for (const [id, pending] of this.opening) {
      pending.reject(err);
      this.streams.get(id)?.abandon();
    }
    this.opening.clear();
    for (const pending of this.pings.values()) pending.reject(err);
    this.pings.clear();
  }
}
