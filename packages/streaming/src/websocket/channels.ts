/**
 * Channel framing of the Kubernetes `channel.k8s.io` WebSocket family: every message starts with the channel
 * it belongs to. Binary protocols put the channel in the first byte; the base64 ones send a text message made
 * of the ASCII digit `'0' + channel` and the standard (padded) base64 of the payload.
 */

export const STDIN_CHANNEL = 0;
export const STDOUT_CHANNEL = 1;
export const STDERR_CHANNEL = 2;
export const ERROR_CHANNEL = 3;
export const RESIZE_CHANNEL = 4;
/** v5 only: `[0xFF, channel]` half-closes that channel. */
export const CLOSE_SIGNAL = 0xff;

export type ChannelEncoding = "binary" | "base64";

export interface ChannelFraming {
  readonly encoding: ChannelEncoding;
  /** v5.channel.k8s.io: a binary message starting with 255 is a close signal, not data. */
  readonly closeSignals: boolean;
}

/** The highest channel number a framing can carry: base64 keeps the channel character within ASCII. */
export function maxChannel(encoding: ChannelEncoding): number {
  return encoding === "binary" ? CLOSE_SIGNAL - 1 : 0x7f - 0x30;
}

/** One message on the wire: a Buffer for a binary frame, a string for a text frame. */
export type WireMessage = Buffer | string;

export function encodeFrame(encoding: ChannelEncoding, channel: number, payload: Uint8Array): WireMessage {
  if (!Number.isInteger(channel) || channel < 0 || channel > maxChannel(encoding)) {
    throw new RangeError(`channel ${channel} cannot be framed as ${encoding}`);
  }
  if (encoding === "binary") {
    const frame = Buffer.allocUnsafe(payload.length + 1);
    frame[0] = channel;
    frame.set(payload, 1);
    return frame;
  }
  return String.fromCharCode(0x30 + channel) + Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("base64");
}

export function encodeCloseSignal(channel: number): Buffer {
  return Buffer.from([CLOSE_SIGNAL, channel]);
}

export type DecodedFrame =
  | { readonly kind: "data"; readonly channel: number; readonly payload: Buffer }
  | { readonly kind: "close"; readonly channel: number }
  /** Carries nothing (Kubernetes servers skip empty messages). */
  | { readonly kind: "empty" }
  /** Breaks the protocol; the caller drops the connection. */
  | { readonly kind: "invalid"; readonly reason: string };

// Go's StdEncoding wants full quanta and proper padding; Buffer.from(…, "base64") would accept anything.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes one received message; `isBinary` is the WebSocket opcode (binary vs text). */
export function decodeFrame(framing: ChannelFraming, data: Buffer, isBinary: boolean): DecodedFrame {
  if (framing.encoding === "binary") {
    if (!isBinary) return { kind: "invalid", reason: "text message on a binary protocol" };
    if (data.length === 0) return { kind: "empty" };
    const channel = data[0] as number;
    if (channel === CLOSE_SIGNAL && framing.closeSignals) {
      if (data.length !== 2) return { kind: "invalid", reason: `close signal of ${data.length} bytes` };
      return { kind: "close", channel: data[1] as number };
    }
    return { kind: "data", channel, payload: data.subarray(1) };
  }
  if (isBinary) return { kind: "invalid", reason: "binary message on a base64 protocol" };
  if (data.length === 0) return { kind: "empty" };
  const channel = (data[0] as number) - 0x30;
  if (channel < 0 || channel > maxChannel("base64")) return { kind: "invalid", reason: "channel is not an ASCII digit" };
  // Like Go's decoder, line breaks inside the base64 are skipped.
  const text = data
    .subarray(1)
    .toString("latin1")
    .replace(/[\r\n]/g, "");
  if (!BASE64.test(text)) return { kind: "invalid", reason: "payload is not base64" };
  return { kind: "data", channel, payload: Buffer.from(text, "base64") };
}
