import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { SpdyConnection, type SpdyConnectionOptions } from "./connection";

/**
 * The HTTP side of a SPDY upgrade, in the order of Kubernetes' server: negotiate X-Stream-Protocol-Version
 * (the first protocol in the client's list that we support wins), then check the upgrade headers, then
 * write the bare 101 and speak SPDY from the next byte on.
 */

export const PROTOCOL_HEADER = "X-Stream-Protocol-Version";
export const ACCEPTED_PROTOCOLS_HEADER = "X-Accepted-Stream-Protocol-Versions";

export interface SpdyUpgrade {
  readonly connection: SpdyConnection;
  /** The negotiated X-Stream-Protocol-Version. */
  readonly protocol: string;
}

/** Connection options for the negotiated protocol (known only once the handshake ran). */
export type SpdyServerOptions = (protocol: string) => Omit<SpdyConnectionOptions, "role">;

/** The client's protocols, most preferred first. Node joins repeated header lines with commas; Go splits on them too. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers[PROTOCOL_HEADER.toLowerCase()];
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return values
    .flatMap((v) => v.split(","))
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

export function negotiateProtocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/**
 * Answers the upgrade: 400 without X-Stream-Protocol-Version or upgrade headers, 403 when no protocol
 * overlaps, otherwise 101 and a server-side SpdyConnection that reads `head` (bytes the client sent after
 * its request) before the socket. Undefined when refused.
 */
export function upgradeToSpdy(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  supported: readonly string[],
  options: SpdyServerOptions = () => ({}),
): SpdyUpgrade | undefined {
  if (socket.destroyed) return undefined;
  const offered = offeredProtocols(req);
  if (offered.length === 0) {
    refuse(socket, 400, [], `unable to upgrade: ${PROTOCOL_HEADER} is required`);
    return undefined;
  }
  const protocol = negotiateProtocol(offered, supported);
  if (protocol === undefined) {
    const accepted = supported.map((p): [string, string] => [ACCEPTED_PROTOCOLS_HEADER, p]);
    const message = `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], server accepts [${supported.join(" ")}]`;
    refuse(socket, 403, accepted, message);
    return undefined;
  }
  const connection = String(req.headers.connection ?? "");
  const upgrade = String(req.headers.upgrade ?? "");
  if (!connection.toLowerCase().includes("upgrade") || !upgrade.toLowerCase().includes("spdy/3.1")) {
    refuse(
      socket,
      400,
      [],
      `unable to upgrade: missing upgrade headers in request: Connection: ${JSON.stringify(connection)}, Upgrade: ${JSON.stringify(upgrade)}`,
    );
    return undefined;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${PROTOCOL_HEADER}: ${protocol}\r\n\r\n`);
  return { connection: new SpdyConnection(socket, { ...options(protocol), role: "server" }, head), protocol };
}

const REASONS: Record<number, string> = { 400: "Bad Request", 403: "Forbidden" };
const REFUSED_LINGER_MS = 5000;

/**
 * Go's http.Error shape: a text/plain body ending in a newline; then the connection closes. We keep reading
 * (and dropping) until the client closes, since closing with unread input would reset the connection and
 * could cost the client our answer; a client that never closes is dropped after a while.
 */
function refuse(socket: Duplex, status: 400 | 403, headers: Array<[string, string]>, message: string): void {
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status]}`,
    "Content-Type: text/plain; charset=utf-8",
    ...headers.map(([name, value]) => `${name}: ${value}`),
    "X-Content-Type-Options: nosniff",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
  ];
  socket.on("error", () => socket.destroy());
  socket.resume();
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
  const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
}
