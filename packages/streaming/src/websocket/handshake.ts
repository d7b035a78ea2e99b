import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";

/** The largest message we accept from a client; anything bigger closes the connection (1009). */
export const MAX_PAYLOAD = 16 * 1024 * 1024;

/** `Upgrade: websocket` (any case) together with an `upgrade` token in `Connection`; everything else is SPDY's. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  const connection = req.headers.connection;
  if (typeof upgrade !== "string" || upgrade.trim().toLowerCase() !== "websocket" || typeof connection !== "string") return false;
  return connection.split(",").some((token) => token.trim().toLowerCase() === "upgrade");
}

/** The client's `Sec-WebSocket-Protocol` entries, most preferred first. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers["sec-websocket-protocol"];
  if (header === undefined) return [];
  return header
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/**
 * The first protocol the client offers that we support: the client's order decides, as in Kubernetes.
 * A client that offers nothing gets `""` (plain binary framing) when that is supported.
 */
export function chooseProtocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  if (offered.length === 0) return supported.includes("") ? "" : undefined;
  return offered.find((p) => p !== "" && supported.includes(p));
}

/** What x/net/websocket (containerd, kubelet) answers when no subprotocol overlaps: a bare status line. */
export function rejectUpgrade(socket: Duplex, status: 400 | 403): void {
  const line = status === 403 ? "HTTP/1.1 403 Forbidden\r\n\r\n" : "HTTP/1.1 400 Bad Request\r\n\r\n";
  socket.on("error", () => socket.destroy());
  socket.end(line, () => socket.destroy());
}

// The protocol picked for a request, read back by handleProtocols during handleUpgrade.
const chosen = new WeakMap<IncomingMessage, string>();

// One server for every upgrade: it only does the handshake. No compression (the Go servers never negotiate it)
// and no client tracking (sessions own their sockets).
const server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  clientTracking: false,
  maxPayload: MAX_PAYLOAD,
  handleProtocols: (_offered, req) => chosen.get(req) ?? false,
});

export interface AcceptedWebSocket {
  readonly ws: WebSocket;
  /** The negotiated subprotocol; `""` when the client offered none. */
  readonly protocol: string;
}

/**
 * Negotiates the subprotocol and completes the handshake. Resolves undefined when the request was refused
 * (403 for no common protocol; ws answers malformed handshakes itself) or the client went away meanwhile.
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  supported: readonly string[],
): Promise<AcceptedWebSocket | undefined> {
  if (socket.destroyed) return Promise.resolve(undefined);
  const protocol = chooseProtocol(offeredProtocols(req), supported);
  if (protocol === undefined) {
    rejectUpgrade(socket, 403);
    return Promise.resolve(undefined);
  }
  chosen.set(req, protocol);
  return new Promise((resolve) => {
    // ws never calls back when it refuses the handshake; the socket closing tells us instead.
    const gone = (): void => resolve(undefined);
    socket.once("close", gone);
    try {
      server.handleUpgrade(req, socket, head, (ws) => {
        socket.removeListener("close", gone);
        resolve({ ws, protocol });
      });
    } catch {
      socket.removeListener("close", gone);
      socket.destroy();
      resolve(undefined);
    }
  });
}
