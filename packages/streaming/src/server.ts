import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type Logger, type StreamRuntime, type StreamSession, silentLogger } from "@rktlet/core";
import { forwardPorts } from "./forward";
import { runRemoteCommand } from "./remote-command";
import { DEFAULT_TIMEOUTS, type PortForwardSession, type RemoteCommandSession, type StreamTimeouts } from "./session";
import { upgradeSpdyPortForward } from "./spdy/portforward";
import { upgradeSpdyRemoteCommand } from "./spdy/remotecommand";
import { isWebSocketUpgrade } from "./websocket/handshake";
import { upgradeWebSocketPortForward } from "./websocket/portforward";
import { upgradeWebSocketRemoteCommand } from "./websocket/remotecommand";

export interface StreamingServerOptions {
  /** `host:port`; port 0 picks a free one (the URLs then carry the real port). */
  readonly address: string;
  /** Serve https with this certificate and key (PEM). */
  readonly tls?: { readonly cert: Buffer | string; readonly key: Buffer | string };
  readonly timeouts?: Partial<StreamTimeouts>;
  /** Redeems a single-use token (core's StreamingService.take). */
  readonly redeem: (token: string) => StreamSession | undefined;
  readonly runtime: StreamRuntime;
  readonly logger?: Logger;
}

const ROUTE = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]{1,128})\/?$/;

/**
 * The streaming server behind the URLs that Exec, Attach and PortForward return: it redeems the token,
 * upgrades the connection to SPDY/3.1 or WebSocket (whichever the client asks for), and joins the client's
 * streams to the runtime's process or pod port. Every session ends with its client, its process or its
 * idle timeout, and takes everything it opened with it.
 */
export class StreamingServer {
  private readonly server: Server;
  private readonly timeouts: StreamTimeouts;
  private readonly logger: Logger;
  private readonly sessions = new Set<{ end(): void }>();
  private readonly sockets = new Set<Duplex>();
  private scheme: "http" | "https";

  constructor(private readonly options: StreamingServerOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.logger = options.logger ?? silentLogger;
    this.scheme = options.tls ? "https" : "http";
    this.server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => this.plainRequest(req, res))
      : createHttpServer((req, res) => this.plainRequest(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Node drops its own error listener on upgrade: a client reset must not become an uncaught error
      socket.on("error", () => socket.destroy());
      this.track(socket);
      this.upgrade(req, socket, head).catch((err: Error) => {
        this.logger.warn({ err: err.message }, "streaming upgrade failed");
        socket.destroy();
      });
    });
    this.server.on("connection", (socket: Socket) => this.track(socket));
    this.server.on("clientError", (_err, socket: Duplex) => socket.destroy());
  }

  async start(): Promise<void> {
    const { host, port } = splitAddress(this.options.address);
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.removeListener("error", reject);
        resolve();
      });
    });
    this.logger.info({ url: this.url }, "streaming server listening");
  }

  /** The base URL the tokens go under, with the real port. */
  get url(): string {
    const a = this.server.address() as AddressInfo | null;
    const { host, port } = splitAddress(this.options.address);
    const h = a ? a.address : host;
    return `${this.scheme}://${h.includes(":") ? `[${h}]` : h}:${a ? a.port : port}`;
  }

  /** Sessions in progress (exec, attach and port-forward connections). */
  get active(): number {
    return this.sessions.size;
  }

  /** Stops listening and ends every session. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sessions) s.end();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private track(socket: Duplex): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  private plainRequest(req: IncomingMessage, res: ServerResponse): void {
    const route = ROUTE.exec(pathOf(req));
    const [status, body] = route ? [400, "unable to upgrade: missing upgrade headers in request\n"] : [404, "404 page not found\n"];
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" }).end(body);
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const route = ROUTE.exec(pathOf(req));
    if (!route || (req.method !== "GET" && req.method !== "POST")) return refuse(socket, 404, "404 page not found\n");
    const [, kind, token] = route as unknown as [string, StreamSession["kind"], string];
    const session = this.options.redeem(token);
    if (!session || session.kind !== kind) return refuse(socket, 404, "404 page not found\n");
    const ws = isWebSocketUpgrade(req);
    if (session.kind === "portforward") {
      const pf: PortForwardSession | undefined = ws
        ? await upgradeWebSocketPortForward(req, socket, head, session.ports, this.timeouts)
        : upgradeSpdyPortForward(req, socket, head, this.timeouts);
      if (!pf) return;
      const entry = { end: () => pf.close() };
      this.sessions.add(entry);
      this.logger.debug({ podSandboxId: session.podSandboxId, transport: pf.transport }, "port-forward session");
      forwardPorts(pf, session.podSandboxId, this.options.runtime, this.logger);
      await pf.closed;
      this.sessions.delete(entry);
      return;
    }
    const stdio = { stdin: session.stdin, stdout: session.stdout, stderr: session.stderr && !session.tty, tty: session.tty };
    const rc: RemoteCommandSession | undefined = ws
      ? await upgradeWebSocketRemoteCommand(req, socket, head, stdio, this.timeouts)
      : await upgradeSpdyRemoteCommand(req, socket, head, stdio, this.timeouts);
    if (!rc) return;
    const entry = { end: () => void rc.finish({ kind: "error", message: "the streaming server is shutting down" }) };
    this.sessions.add(entry);
    this.logger.debug({ kind: session.kind, containerId: session.containerId, transport: rc.transport, protocol: rc.protocol }, "session");
    try {
      await runRemoteCommand(rc, session, this.options.runtime, this.logger);
    } finally {
      this.sessions.delete(entry);
    }
  }
}

/** The request's path; a URL that does not parse has none (and matches no route). */
function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? "/", "http://x").pathname;
  } catch {
    return "";
  }
}

function refuse(socket: Duplex, status: number, body: string): void {
  const reason = status === 404 ? "Not Found" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new Error(`stream server address "${address}" must be host:port`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}
