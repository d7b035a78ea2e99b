import { request } from "node:http";
import type { Duplex, Readable } from "node:stream";
import { SpdyConnection, type SpdyStream, type TerminalSize } from "@rktlet/streaming";

/**
 * A small SPDY/3.1 client for the CRI streaming server that behaves like client-go (crictl, kubelet):
 * POST with `Content-Length: 0` and one X-Stream-Protocol-Version line per protocol, then one stream per
 * channel in client-go's order, each opened only after the previous one was replied to.
 */

/** The upgrade was answered with something other than 101 (e.g. 403 when no protocol overlaps, 404 for a bad token). */
export class SpdyUpgradeError extends Error {
  constructor(
    readonly statusCode: number,
    readonly headers: Readonly<Record<string, string | string[] | undefined>>,
    readonly body: string,
  ) {
    super(`SPDY upgrade refused: HTTP ${statusCode}: ${body.trim()}`);
    this.name = "SpdyUpgradeError";
  }
}

export interface SpdyRemoteCommandOptions {
  /** Sent on a stdin stream, then FIN (stdin EOF); no stdin stream without it. */
  readonly stdin?: Buffer | string | Readable;
  readonly tty?: boolean;
  /** Open a stdout stream (default true). */
  readonly stdout?: boolean;
  /** Open a stderr stream (default true; never with tty). */
  readonly stderr?: boolean;
  /** Sizes written on the resize stream (tty, v3+), right after the streams are made. */
  readonly resize?: TerminalSize[];
  /** Offered protocols, most preferred first. Default: what crictl 1.29 offers. */
  readonly protocols?: string[];
}

export interface SpdyRemoteCommandResult {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** v4+: the decoded Status JSON; v1-v3: the error text; undefined when the error stream stayed empty. */
  readonly status: unknown;
  /** 0 on success, the code of a NonZeroExitCode status, undefined for any other failure. */
  readonly exitCode: number | undefined;
  readonly protocol: string;
}

export const SPDY_CLIENT_REMOTE_COMMAND_PROTOCOLS = [
  "v5.channel.k8s.io",
  "v4.channel.k8s.io",
  "v3.channel.k8s.io",
  "v2.channel.k8s.io",
  "channel.k8s.io",
];

/** Upgrades `url` (http://) to SPDY/3.1 with the given protocols; rejects with SpdyUpgradeError unless 101. */
export function connectSpdy(url: string, protocols: readonly string[]): Promise<{ connection: SpdyConnection; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      agent: false,
      headers: { "Content-Length": "0", Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": [...protocols] },
    });
    req.on("upgrade", (res, socket, head) => {
      const connection = new SpdyConnection(socket, { role: "client" }, head);
      resolve({ connection, protocol: String(res.headers["x-stream-protocol-version"] ?? "") });
    });
    req.on("response", (res) => {
      const body: Buffer[] = [];
      res.on("data", (chunk: Buffer) => body.push(chunk));
      res.on("error", reject);
      res.on("end", () => reject(new SpdyUpgradeError(res.statusCode ?? 0, res.headers, Buffer.concat(body).toString())));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Runs one exec/attach: opens the streams, feeds stdin and resizes, and collects everything until the server is done. */
export async function spdyRemoteCommand(url: string, opts: SpdyRemoteCommandOptions = {}): Promise<SpdyRemoteCommandResult> {
  const { connection, protocol } = await connectSpdy(url, opts.protocols ?? SPDY_CLIENT_REMOTE_COMMAND_PROTOCOLS);
  try {
    const version = Number(/^v(\d+)\./.exec(protocol)?.[1] ?? 1);
    const tty = opts.tty ?? false;
    const open = (streamtype: string) => connection.openStream({ streamtype });
    const error = await open("error");
    const stdin = opts.stdin !== undefined ? await open("stdin") : undefined;
    const stdout = (opts.stdout ?? true) ? await open("stdout") : undefined;
    const stderr = (opts.stderr ?? true) && !tty ? await open("stderr") : undefined;
    const resize = tty && version >= 3 ? await open("resize") : undefined;
    const collected = Promise.all([collect(stdout), collect(stderr), collect(error)]);
    for (const size of opts.resize ?? []) resize?.write(`${JSON.stringify({ Width: size.width, Height: size.height })}\n`);
    if (stdin) feed(stdin, opts.stdin as Buffer | string | Readable);
    const [out, err, errorText] = await collected;
    return { stdout: out, stderr: err, ...interpretError(errorText.toString(), version), protocol };
  } finally {
    await connection.close();
  }
}

export interface SpdyPortForwardConnection {
  /** The error/data stream pair for one forwarded connection to `port`, made the way client-go makes it. */
  connect(port: number): Promise<{ data: Duplex; error: Promise<string> }>;
  close(): Promise<void>;
  readonly connection: SpdyConnection;
}

/** Opens a port-forward connection; streams come per `connect()`. */
export async function spdyPortForward(url: string): Promise<SpdyPortForwardConnection> {
  const { connection } = await connectSpdy(url, ["portforward.k8s.io"]);
  let requestId = 0;
  return {
    connection,
    async connect(port) {
      const headers = { port: String(port), requestid: String(requestId++) };
      const error = await connection.openStream({ ...headers, streamtype: "error" });
      // client-go half-closes the error stream at once: only the server writes on it.
      error.end();
      const errorText = collect(error).then((b) => b.toString());
      const data = await connection.openStream({ ...headers, streamtype: "data" });
      return { data, error: errorText };
    },
    close: () => connection.close(),
  };
}

function feed(stream: SpdyStream, input: Buffer | string | Readable): void {
  if (typeof input === "string" || Buffer.isBuffer(input)) {
    stream.end(input);
    return;
  }
  input.on("error", () => stream.end());
  input.pipe(stream);
}

/** Everything a stream delivers until its FIN (or the connection's end). */
function collect(stream: SpdyStream | undefined): Promise<Buffer> {
  if (!stream) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    const done = () => resolve(Buffer.concat(chunks));
    stream.once("end", done).once("close", done);
  });
}

/** client-go's reading of the error stream: v4 Status JSON with an ExitCode cause, or plain text before v4. */
function interpretError(text: string, version: number): { status: unknown; exitCode: number | undefined } {
  if (text === "") return { status: undefined, exitCode: 0 };
  if (version < 4) return { status: text, exitCode: undefined };
  let status: { status?: unknown; reason?: unknown; details?: { causes?: Array<{ reason?: unknown; message?: unknown }> } };
  try {
    status = JSON.parse(text);
  } catch {
    return { status: text, exitCode: undefined };
  }
  if (status.status === "Success") return { status, exitCode: 0 };
  if (status.status !== "Failure" || status.reason !== "NonZeroExitCode") return { status, exitCode: undefined };
  const code = Number(status.details?.causes?.find((c) => c.reason === "ExitCode")?.message);
  return { status, exitCode: Number.isInteger(code) && code >= 0 && code <= 255 ? code : undefined };
}
