import { Duplex } from "node:stream";
import { type RawData, WebSocket } from "ws";

/**
 * A small WebSocket client for the CRI streaming server, written from the Kubernetes wire format rather than
 * from the server's code, so tests check one implementation against another.
 */

/** The handshake did not end in 101 (e.g. 403 when no subprotocol overlaps). */
export class WsHandshakeError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(`WebSocket handshake refused: HTTP ${statusCode}`);
    this.name = "WsHandshakeError";
  }
}

/** One message the server sent, decoded: data on a channel, or a v5 close signal. */
export type WsFrame = { readonly channel: number; readonly payload: Buffer } | { readonly closeSignal: number };

export interface WsRemoteCommandOptions {
  /** Offered subprotocols, most preferred first; `[]` offers none. Default: v5, then v4. */
  readonly protocols?: string[];
  /** Sent on the stdin channel right after the handshake. */
  readonly stdin?: Buffer | string;
  /** After stdin, send the v5 close signal `[255, 0]` (ignored unless v5 was negotiated). */
  readonly closeStdin?: boolean;
  /** A terminal session: like crictl, send an 80x24 resize first when `resize` is not given. */
  readonly tty?: boolean;
  /** Terminal sizes for the resize channel, sent before stdin. */
  readonly resize?: ReadonlyArray<{ readonly width: number; readonly height: number }>;
  /** Collect stdout/stderr (default true); when false that channel only shows up in `frames`. */
  readonly stdout?: boolean;
  readonly stderr?: boolean;
}

export interface WsRemoteCommandResult {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** v4/v5: the parsed Status (undefined if the error channel stayed empty); v1: the error text, if any. */
  readonly status: unknown;
  /** 0 on success, the code from a NonZeroExitCode status, undefined for any other failure. */
  readonly exitCode: number | undefined;
  /** The negotiated subprotocol, `""` for none. */
  readonly protocol: string;
  /** Every message in arrival order, including empty ones. */
  readonly frames: WsFrame[];
  /** The close code the server sent (1005 when it sent none). */
  readonly closeCode: number;
}

const DEFAULT_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE_SIGNAL = 255;

/** Runs one exec/attach against `url` (http(s):// or ws(s)://) and collects everything until the server closes. */
export function wsRemoteCommand(url: string, opts: WsRemoteCommandOptions = {}): Promise<WsRemoteCommandResult> {
  return new Promise((resolve, reject) => {
    const ws = connect(url, opts.protocols ?? DEFAULT_PROTOCOLS, reject);
    const frames: WsFrame[] = [];
    const out: Record<number, Buffer[]> = { [STDOUT]: [], [STDERR]: [], [ERROR]: [] };
    const collect = { [STDOUT]: opts.stdout ?? true, [STDERR]: opts.stderr ?? true, [ERROR]: true };
    ws.on("open", () => {
      const base64 = isBase64(ws.protocol);
      for (const size of opts.resize ?? (opts.tty ? [{ width: 80, height: 24 }] : [])) {
        send(ws, base64, RESIZE, Buffer.from(JSON.stringify({ Width: size.width, Height: size.height })));
      }
      if (opts.stdin !== undefined) send(ws, base64, STDIN, Buffer.from(opts.stdin));
      if (opts.closeStdin && ws.protocol === "v5.channel.k8s.io") ws.send(Buffer.from([CLOSE_SIGNAL, STDIN]));
    });
    ws.on("message", (data, isBinary) => {
      const frame = decode(toBuffer(data), isBinary, ws.protocol);
      if (frame === undefined) return;
      frames.push(frame);
      if ("channel" in frame && collect[frame.channel as keyof typeof collect]) out[frame.channel]?.push(frame.payload);
    });
    ws.on("close", (code) => {
      const errorText = Buffer.concat(out[ERROR] ?? []).toString();
      const { status, exitCode } = interpretError(errorText, ws.protocol);
      resolve({
        stdout: Buffer.concat(out[STDOUT] ?? []),
        stderr: Buffer.concat(out[STDERR] ?? []),
        status,
        exitCode,
        protocol: ws.protocol,
        frames,
        closeCode: code,
      });
    });
  });
}

export interface WsPortForwardStream {
  /** The port the server announced (the 2-byte prefix on the data channel). */
  readonly port: number;
  /** Bytes to and from the pod port; ends when the connection closes. */
  readonly data: Duplex;
  /** Everything the server wrote on the error channel after the prefix, once the connection is gone. */
  readonly error: Promise<string>;
}

export interface WsPortForwardConnection {
  readonly streams: WsPortForwardStream[];
  close(): void;
  /** Settles when the connection is gone. */
  readonly closed: Promise<void>;
}

/**
 * Opens a WebSocket port-forward for `ports` (as many as the server's request lists) and resolves once the
 * server has announced every port on both its channels; rejects if an announcement is wrong or missing.
 */
export function wsPortForward(
  url: string,
  ports: readonly number[],
  opts: { protocols?: string[] } = {},
): Promise<WsPortForwardConnection> {
  return new Promise((resolve, reject) => {
    const ws = connect(url, opts.protocols ?? ["v4.channel.k8s.io"], reject);
    let closedResolve: () => void = () => {};
    const closed = new Promise<void>((r) => {
      closedResolve = r;
    });
    // Per channel: the 2-byte port prefix seen yet?
    const announced = new Map<number, number>();
    const errorText: Buffer[][] = ports.map(() => []);
    const errorResolvers: Array<(text: string) => void> = [];
    const streams: WsPortForwardStream[] = ports.map((port, i) => {
      const data = new Duplex({
        allowHalfOpen: true,
        read: () => {},
        write: (chunk: Buffer, _encoding, callback) => {
          if (ws.readyState !== WebSocket.OPEN) callback();
          else send(ws, isBase64(ws.protocol), 2 * i, chunk, callback);
        },
      });
      const error = new Promise<string>((r) => {
        errorResolvers[i] = r;
      });
      return { port, data, error };
    });
    let ready = false;
    const fail = (err: Error): void => {
      if (!ready) reject(err);
      ws.terminate();
    };
    ws.on("message", (raw, isBinary) => {
      const frame = decode(toBuffer(raw), isBinary, ws.protocol);
      if (frame === undefined || !("channel" in frame)) return fail(new Error("undecodable port-forward message"));
      const index = Math.floor(frame.channel / 2);
      const stream = streams[index];
      if (stream === undefined) return fail(new Error(`message on unknown channel ${frame.channel}`));
      if (!announced.has(frame.channel)) {
        if (frame.payload.length !== 2) return fail(new Error(`channel ${frame.channel} did not start with a 2-byte port`));
        const port = frame.payload.readUInt16LE(0);
        if (port !== stream.port) return fail(new Error(`channel ${frame.channel} announced port ${port}, expected ${stream.port}`));
        announced.set(frame.channel, port);
        if (!ready && announced.size === ports.length * 2) {
          ready = true;
          resolve({ streams, close: () => ws.close(), closed });
        }
        return;
      }
      if (frame.channel % 2 === 0) stream.data.push(frame.payload);
      else errorText[index]?.push(frame.payload);
    });
    ws.on("close", () => {
      if (!ready) reject(new Error("connection closed before every port was announced"));
      streams.forEach((stream, i) => {
        stream.data.push(null);
        errorResolvers[i]?.(Buffer.concat(errorText[i] ?? []).toString());
      });
      closedResolve();
    });
  });
}

function connect(url: string, protocols: string[], reject: (err: Error) => void): WebSocket {
  const ws = new WebSocket(url.replace(/^http/, "ws"), protocols);
  ws.on("unexpected-response", (req, res) => {
    const body: Buffer[] = [];
    res.on("data", (chunk: Buffer) => body.push(chunk));
    const refuse = (): void => {
      reject(new WsHandshakeError(res.statusCode ?? 0, Buffer.concat(body).toString()));
      ws.terminate();
    };
    res.on("end", refuse);
    res.on("error", refuse);
    req.on("error", () => {});
  });
  ws.on("error", reject);
  return ws;
}

function isBase64(protocol: string): boolean {
  return protocol.includes("base64");
}

function send(ws: WebSocket, base64: boolean, channel: number, payload: Buffer, callback?: () => void): void {
  const message = base64
    ? String.fromCharCode(0x30 + channel) + payload.toString("base64")
    : Buffer.concat([Buffer.from([channel]), payload]);
  ws.send(message, { binary: !base64 }, () => callback?.());
}

function decode(data: Buffer, isBinary: boolean, protocol: string): WsFrame | undefined {
  if (data.length === 0) return undefined;
  const first = data[0] as number;
  if (isBase64(protocol)) {
    if (isBinary) return undefined;
    return { channel: first - 0x30, payload: Buffer.from(data.subarray(1).toString("latin1"), "base64") };
  }
  if (!isBinary) return undefined;
  if (protocol === "v5.channel.k8s.io" && first === CLOSE_SIGNAL && data.length === 2) return { closeSignal: data[1] as number };
  return { channel: first, payload: data.subarray(1) };
}

function interpretError(text: string, protocol: string): { status: unknown; exitCode: number | undefined } {
  if (text === "") return { status: undefined, exitCode: 0 };
  if (!protocol.startsWith("v4.") && !protocol.startsWith("v5.")) return { status: text, exitCode: undefined };
  let status: unknown;
  try {
    status = JSON.parse(text);
  } catch {
    return { status: text, exitCode: undefined };
  }
  return { status, exitCode: exitCodeOf(status) };
}

/** client-go's reading of a v4 Status: Success is 0, NonZeroExitCode carries the code in an ExitCode cause. */
function exitCodeOf(status: unknown): number | undefined {
  const s = status as { status?: unknown; reason?: unknown; details?: { causes?: Array<{ reason?: unknown; message?: unknown }> } };
  if (s.status === "Success") return 0;
  if (s.status !== "Failure" || s.reason !== "NonZeroExitCode") return undefined;
  const cause = s.details?.causes?.find((c) => c.reason === "ExitCode");
  const code = Number(cause?.message);
  return Number.isInteger(code) && code >= 0 && code <= 255 ? code : undefined;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
