import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { PortForwardSession, PortForwardStream, StreamTimeouts } from "../session";
import { type ChannelEncoding, type ChannelFraming, maxChannel } from "./channels";
import { ChannelConnection } from "./connection";
import { acceptWebSocket, chooseProtocol, offeredProtocols, rejectUpgrade } from "./handshake";
import { WebSocketPortForwardPair } from "./portforward-pair";

/** Port-forward subprotocols and their framing. None of them has close signals. */
const ENCODINGS: Readonly<Record<string, ChannelEncoding>> = {
  "": "binary",
  "v4.channel.k8s.io": "binary",
  "v4.base64.channel.k8s.io": "base64",
  // Not in Kubernetes' WebSocket table, but the kubelet's port-forward handler lets it through.
  "portforward.k8s.io": "binary",
};

export const PORT_FORWARD_WEBSOCKET_PROTOCOLS: readonly string[] = Object.keys(ENCODINGS);

/**
 * Completes a WebSocket upgrade for port-forward: one pair of channels per port (2i data, 2i+1 error), each
 * opened by the port number as a little-endian uint16. Undefined when the handshake was refused or the client
 * left during it.
 */
export async function upgradeWebSocketPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  ports: readonly number[],
  timeouts: StreamTimeouts,
): Promise<PortForwardSession | undefined> {
  const wanted = chooseProtocol(offeredProtocols(req), PORT_FORWARD_WEBSOCKET_PROTOCOLS);
  const badPort = ports.some((p) => !Number.isInteger(p) || p < 1 || p > 0xffff);
  // Each port takes two channel numbers, and the framing limits how many there are.
  const tooMany = wanted !== undefined && ports.length * 2 - 1 > maxChannel(ENCODINGS[wanted] as ChannelEncoding);
  if (badPort || tooMany) {
    rejectUpgrade(socket, 400);
    return undefined;
  }
  const accepted = await acceptWebSocket(req, socket, head, PORT_FORWARD_WEBSOCKET_PROTOCOLS);
  if (accepted === undefined) return undefined;
  const framing: ChannelFraming = { encoding: ENCODINGS[accepted.protocol] as ChannelEncoding, closeSignals: false };
  return new WebSocketPortForwardSession(accepted.ws, socket, framing, ports, timeouts.idleMs);
}

class WebSocketPortForwardSession implements PortForwardSession {
  readonly transport = "websocket";
  readonly closed: Promise<void>;
  private readonly conn: ChannelConnection;
  private readonly pairs: WebSocketPortForwardPair[];
  private undelivered: PortForwardStream[];
  private remaining: number;

  constructor(ws: WebSocket, socket: Duplex, framing: ChannelFraming, ports: readonly number[], idleMs: number) {
    this.conn = new ChannelConnection(ws, socket, framing, idleMs, {
      // Even channels carry data; the odd (error) ones only go to the client, so whatever comes on them is dropped.
      data: (channel, payload) => {
        if (channel % 2 === 0) this.pairs[channel / 2]?.receive(payload);
      },
      closeSignal: () => {},
      gone: () => {
        for (const pair of this.pairs) pair.gone();
      },
    });
    this.closed = this.conn.closed;
    this.remaining = ports.length;
    this.pairs = ports.map((port, index) => new WebSocketPortForwardPair(this.conn, port, index, () => this.pairEnded()));
    for (const pair of this.pairs) pair.announce();
    this.undelivered = [...this.pairs];
    if (ports.length === 0) this.conn.close();
  }

  onStream(listener: (stream: PortForwardStream) => void): void {
    // Every pair exists from the start; the first listener gets them all, later ones have nothing left to get.
    const pending = this.undelivered;
    this.undelivered = [];
    for (const stream of pending) listener(stream);
  }

  close(): void {
    this.conn.close();
  }

  private pairEnded(): void {
    this.remaining--;
    if (this.remaining === 0) this.conn.close();
  }
}
