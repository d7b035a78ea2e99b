import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { encodeFrame, type Frame, FrameParser, HeaderCompressor, HeaderDecompressor } from "@rktlet/streaming";
import { SpdyUpgradeError, spdyPortForward, spdyRemoteCommand } from "../src/streaming/spdy-client";

/**
 * The SPDY client against a hand-scripted server that reads frames itself, so the client is checked against
 * client-go's wire behaviour (request head, stream order, waiting for each reply) rather than against our server.
 */

type Seen = { frame: Frame; headers?: Map<string, string>; repliesBefore: number };

/** The server half of one connection: logs the client's frames (header blocks inflated in order) and answers by script. */
class Peer {
  readonly seen: Seen[] = [];
  replies = 0;
  private readonly parser = new FrameParser();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: Duplex,
    private readonly onFrame: (seen: Seen, peer: Peer) => void | Promise<void>,
  ) {
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.parser.push(chunk).frames) {
        this.chain = this.chain.then(async () => {
          const seen: Seen = { frame, repliesBefore: this.replies };
          if ("headerBlock" in frame) seen.headers = await this.inflater.decompress(frame.headerBlock);
          this.seen.push(seen);
          await this.onFrame(seen, this);
        });
      }
    });
  }

  async reply(streamId: number): Promise<void> {
    this.replies++;
    this.socket.write(encodeFrame({ type: "syn_reply", streamId, fin: false, headerBlock: await this.deflater.compress({}) }));
  }

  data(streamId: number, data: string, fin = false): void {
    if (data) this.socket.write(encodeFrame({ type: "data", streamId, fin: false, data: Buffer.from(data) }));
    if (fin) this.socket.write(encodeFrame({ type: "data", streamId, fin: true, data: Buffer.alloc(0) }));
  }

  /** containerd's teardown: status, RST on error, GOAWAY, FIN. */
  finish(errorStream: number, status: string, lastId: number): void {
    this.data(errorStream, status);
    this.socket.write(encodeFrame({ type: "rst_stream", streamId: errorStream, status: 5 }));
    this.socket.write(encodeFrame({ type: "goaway", lastGoodStreamId: lastId, status: 0 }));
    this.socket.end();
  }
}

const server = createServer();
let script: (req: IncomingMessage, peer: Peer) => (seen: Seen, peer: Peer) => void | Promise<void> = () => () => {};
let requests: IncomingMessage[] = [];
let peers: Peer[] = [];
let protocol = "v4.channel.k8s.io";
server.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
  requests.push(req);
  if (protocol === "") {
    socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nX-Accepted-Stream-Protocol-Versions: v4.channel.k8s.io\r\n\r\nnope");
    return;
  }
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  let handle: (seen: Seen, peer: Peer) => void | Promise<void> = () => {};
  const peer = new Peer(socket, (seen, p) => handle(seen, p));
  handle = script(req, peer);
  peers.push(peer);
});
let url = "";

beforeAll(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/exec/abc`;
});
beforeEach(() => {
  requests = [];
  peers = [];
  protocol = "v4.channel.k8s.io";
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** Replies to each SYN_STREAM after a pause (to prove the client waits), then runs `then` once `count` streams exist. */
function execScript(count: number, then: (peer: Peer, ids: Map<string, number>) => void) {
  return () => {
    const ids = new Map<string, number>();
    let stdin = "";
    return async (seen: Seen, peer: Peer) => {
      const { frame } = seen;
      if (frame.type === "syn_stream") {
        ids.set(seen.headers?.get("streamtype") ?? "?", frame.streamId);
        await new Promise((r) => setTimeout(r, 15));
        await peer.reply(frame.streamId);
        if (ids.size === count && !ids.has("stdin")) then(peer, ids);
      }
      if (frame.type === "data" && frame.streamId === ids.get("stdin")) {
        stdin += frame.data.toString();
        if (frame.fin) then(peer, new Map([...ids, [`stdin:${stdin}`, 0]]));
      }
    };
  };
}

test("exec: POST with Content-Length 0 and one protocol line each; streams in client-go's order, each after the last reply", async () => {
  protocol = "v4.channel.k8s.io";
  script = execScript(4, (peer, ids) => {
    const input = [...ids.keys()].find((k) => k.startsWith("stdin:"))?.slice(6) ?? "";
    peer.data(ids.get("stdout") as number, `got-${input}`, true);
    peer.data(ids.get("stderr") as number, "err\n", true);
    const status = {
      metadata: {},
      status: "Failure",
      message: "command terminated with non-zero exit code: exit status 3",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    };
    peer.finish(ids.get("error") as number, JSON.stringify(status), 7);
  });
  const r = await spdyRemoteCommand(url, { stdin: "hello\n" });
  expect(r).toMatchObject({ protocol: "v4.channel.k8s.io", exitCode: 3, status: { reason: "NonZeroExitCode" } });
  expect(r.stdout.toString()).toBe("got-hello\n");
  expect(r.stderr.toString()).toBe("err\n");

  const req = requests[0] as IncomingMessage;
  expect(req.method).toBe("POST");
  expect(req.headers["content-length"]).toBe("0");
  expect(req.headers.upgrade).toBe("SPDY/3.1");
  const versions = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    if (req.rawHeaders[i]?.toLowerCase() === "x-stream-protocol-version") versions.push(req.rawHeaders[i + 1]);
  expect(versions).toEqual(["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"]);

  const syns = (peers[0] as Peer).seen.filter((s) => s.frame.type === "syn_stream");
  expect(syns.map((s) => [s.frame.type === "syn_stream" && s.frame.streamId, Object.fromEntries(s.headers ?? [])])).toEqual([
    [1, { streamtype: "error" }],
    [3, { streamtype: "stdin" }],
    [5, { streamtype: "stdout" }],
    [7, { streamtype: "stderr" }],
  ]);
  expect(syns.map((s) => s.repliesBefore)).toEqual([0, 1, 2, 3]);
  const stdin = (peers[0] as Peer).seen.filter((s) => s.frame.type === "data" && s.frame.streamId === 3).map((s) => s.frame);
  expect(stdin).toEqual([
    { type: "data", streamId: 3, fin: false, data: Buffer.from("hello\n") },
    { type: "data", streamId: 3, fin: true, data: Buffer.alloc(0) },
  ]);
});

test("tty: no stderr stream, a resize stream last (v3+), sizes as JSON lines", async () => {
  protocol = "v3.channel.k8s.io";
  script = execScript(3, (peer, ids) => {
    setTimeout(() => {
      peer.data(ids.get("stdout") as number, "tty out", true);
      peer.finish(ids.get("error") as number, "", 5);
    }, 30);
  });
  const r = await spdyRemoteCommand(url, { tty: true, resize: [{ width: 80, height: 24 }] });
  expect(r).toMatchObject({ protocol: "v3.channel.k8s.io", exitCode: 0, status: undefined });
  expect(r.stdout.toString()).toBe("tty out");
  const seen = (peers[0] as Peer).seen;
  expect(seen.filter((s) => s.frame.type === "syn_stream").map((s) => s.headers?.get("streamtype"))).toEqual(["error", "stdout", "resize"]);
  const resize = seen.find((s) => s.frame.type === "data" && s.frame.streamId === 5)?.frame;
  expect(resize).toMatchObject({ data: Buffer.from('{"Width":80,"Height":24}\n') });
});

test("v1-v3: a non-empty error stream is the failure text, with no exit code", async () => {
  protocol = "v2.channel.k8s.io";
  script = execScript(3, (peer, ids) => {
    peer.data(ids.get("stdout") as number, "", true);
    peer.data(ids.get("stderr") as number, "", true);
    peer.finish(ids.get("error") as number, "command terminated with non-zero exit code: exit status 2", 5);
  });
  const r = await spdyRemoteCommand(url, {});
  expect(r).toMatchObject({
    protocol: "v2.channel.k8s.io",
    exitCode: undefined,
    status: "command terminated with non-zero exit code: exit status 2",
  });
});

test("a refused upgrade rejects with the status, headers and body", async () => {
  protocol = "";
  const err = (await spdyRemoteCommand(url, {}).catch((e: unknown) => e)) as SpdyUpgradeError;
  expect(err).toBeInstanceOf(SpdyUpgradeError);
  expect(err.message).toMatch(/403/);
  expect(err.statusCode).toBe(403);
  expect(err.body).toBe("nope");
  expect(err.headers["x-accepted-stream-protocol-versions"]).toBe("v4.channel.k8s.io");
});

test("port-forward: error stream first and half-closed at once, then data; request ids count up", async () => {
  protocol = "portforward.k8s.io";
  script = () => async (seen, peer) => {
    const { frame } = seen;
    if (frame.type === "syn_stream") await peer.reply(frame.streamId);
    if (frame.type === "data" && frame.data.length > 0) peer.data(frame.streamId, `echo:${frame.data}`, true);
    if (frame.type === "data" && frame.fin && frame.streamId % 4 === 1) peer.data(frame.streamId, "", true);
    if (frame.type === "goaway") peer.socket.end();
  };
  const pf = await spdyPortForward(url.replace("/exec/", "/portforward/"));
  const first = await pf.connect(8080);
  first.data.end("ping");
  const chunks: Buffer[] = [];
  for await (const chunk of first.data) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe("echo:ping");
  expect(await first.error).toBe("");
  await pf.connect(9090);
  await pf.close();

  const seen = (peers[0] as Peer).seen;
  expect(requests[0]?.rawHeaders).toEqual(expect.arrayContaining(["X-Stream-Protocol-Version", "portforward.k8s.io"]));
  const log = seen
    .filter((s) => s.frame.type !== "rst_stream" && s.frame.type !== "goaway")
    .map((s) =>
      s.frame.type === "syn_stream"
        ? `SYN ${s.frame.streamId} ${JSON.stringify(Object.fromEntries([...(s.headers ?? [])].sort()))}`
        : `${s.frame.type} ${"streamId" in s.frame ? s.frame.streamId : ""}${s.frame.type === "data" && s.frame.fin ? " FIN" : ""}`,
    );
  expect(log.slice(0, 3)).toEqual([
    'SYN 1 {"port":"8080","requestid":"0","streamtype":"error"}',
    "data 1 FIN",
    'SYN 3 {"port":"8080","requestid":"0","streamtype":"data"}',
  ]);
  expect(log).toContain('SYN 5 {"port":"9090","requestid":"1","streamtype":"error"}');
  expect(log).toContain('SYN 7 {"port":"9090","requestid":"1","streamtype":"data"}');
  expect(seen.at(-1)?.frame).toEqual({ type: "goaway", lastGoodStreamId: 0, status: 0 });
});
