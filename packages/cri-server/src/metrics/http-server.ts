import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { splitAddress } from "@rktlet/streaming";
import type { Logger } from "../logging";

export interface MetricsServerOptions {
  /** HOST:PORT; port 0 picks a free one. */
  readonly address: string;
  /** The exposition text, rendered per scrape. */
  readonly render: () => Promise<{ contentType: string; body: string }>;
  readonly logger: Logger;
}

/** Serves `GET /metrics` (and HEAD) over plain http; every other path is a 404. */
export class MetricsServer {
  private readonly server: Server;

  constructor(private readonly options: MetricsServerOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "metrics request failed");
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("could not render metrics\n");
      });
    });
    this.server.on("clientError", (_err, socket) => socket.destroy());
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
    this.options.logger.info({ url: this.url }, "metrics server listening");
  }

  /** Where to scrape, with the real port. */
  get url(): string {
    const a = this.server.address() as AddressInfo | null;
    const { host, port } = splitAddress(this.options.address);
    const h = a ? a.address : host;
    return `http://${h.includes(":") ? `[${h}]` : h}:${a ? a.port : port}/metrics`;
  }

  /** Stops listening and drops idle keep-alive connections (a scrape in progress may finish). */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), 2000);
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("404 page not found\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Content-Type": "text/plain; charset=utf-8", Allow: "GET, HEAD" }).end("method not allowed\n");
      return;
    }
    const { contentType, body } = await this.options.render();
    res.writeHead(200, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
  }
}
