export { forwardPorts } from "./forward";
export { runRemoteCommand } from "./remote-command";
export { StreamingServer, type StreamingServerOptions, splitAddress } from "./server";
export * from "./session";
export { SpdyConnection, type SpdyConnectionOptions } from "./spdy/connection";
export { SPDY3_DICTIONARY } from "./spdy/dictionary";
export {
  ControlType,
  encodeFrame,
  type Frame,
  FrameParser,
  GoAwayStatus,
  MAX_FRAME_LENGTH,
  RstStatus,
  SpdyProtocolError,
} from "./spdy/frames";
export { type SpdyServerOptions, type SpdyUpgrade, upgradeToSpdy } from "./spdy/handshake";
export {
  decodeHeaderBlock,
  encodeHeaderBlock,
  HeaderCompressor,
  HeaderDecompressor,
  type HeaderInput,
  type SpdyHeaders,
} from "./spdy/header-block";
export { PORT_FORWARD_SPDY_PROTOCOLS, upgradeSpdyPortForward } from "./spdy/portforward";
export { REMOTE_COMMAND_SPDY_PROTOCOLS, upgradeSpdyRemoteCommand } from "./spdy/remotecommand";
export { SpdyStream } from "./spdy/stream";
export { isWebSocketUpgrade } from "./websocket/handshake";
export { PORT_FORWARD_WEBSOCKET_PROTOCOLS, upgradeWebSocketPortForward } from "./websocket/portforward";
export { REMOTE_COMMAND_WEBSOCKET_PROTOCOLS, upgradeWebSocketRemoteCommand } from "./websocket/remotecommand";
