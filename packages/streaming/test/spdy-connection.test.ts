import { setImmediate as tick } from "node:timers/promises";
import { SpdyConnection } from "../src/spdy/connection";
import { encodeFrame } from "../src/spdy/frames";
import type { SpdyStream } from "../src/spdy/stream";
import { decodeFrames, FakeSocket, PeerWriter, readAll, show, socketPair, until, within } from "./spdy-harness";

/** A server and a client connection over an in-memory socket pair; the server accepts everything unless told. */
function pair(accept: (s: SpdyStream) => boolean = () => true, serverOptions: { idleTimeoutMs?: number } = {}) {
  const [serverSocket, clientSocket] = socketPair();
  const accepted: SpdyStream[] = [];
  const server = new SpdyConnection(serverSocket, {
    role: "server",
    acceptStream: (s) => {
      accepted.push(s);
      return accept(s);
    },
    ...serverOptions,
  });
  const client = new SpdyConnection(clientSocket, { role: "client" });
  return { server, client, accepted, serverSocket, clientSocket };
}

const sent = async (socket: { output(): Buffer }) => (await decodeFrames(socket.output())).map(show);

test("streams carry data both ways and half-close with empty FIN frames", async () => {
  const { server, client, accepted, serverSocket, clientSocket } = pair();
  const s1 = await client.openStream({ streamType: "stdin" });
  const s3 = await client.openStream({ streamtype: "stdout" });
  expect([s1.id, s3.id]).toEqual([1, 3]);
  expect(accepted.map((s) => [s.id, s.headers.get("streamtype")])).toEqual([
    [1, "stdin"],
    [3, "stdout"],
  ]);
  s1.end("hello\n");
  expect((await readAll(accepted[0] as SpdyStream)).toString()).toBe("hello\n");
  (accepted[1] as SpdyStream).end("got-hello\n");
  expect((await readAll(s3)).toString()).toBe("got-hello\n");
  expect(await sent(clientSocket)).toEqual([
    'SYN_STREAM 1 {"streamtype":"stdin"}',
    'SYN_STREAM 3 {"streamtype":"stdout"}',
    'DATA 1 "hello\\n"',
    "DATA 1 FIN",
  ]);
  expect(await sent(serverSocket)).toEqual(["SYN_REPLY 1 {}", "SYN_REPLY 3 {}", 'DATA 3 "got-hello\\n"', "DATA 3 FIN"]);
  await client.close();
  await server.closed;
});

test("a stream the acceptor refuses is reset with CANCEL instead of a reply", async () => {
  const { client, serverSocket } = pair((s) => s.headers.get("streamtype") !== "bogus");
  await expect(client.openStream({ streamtype: "bogus" })).rejects.toThrow(/reset by the peer \(status 5\)/);
  const ok = await client.openStream({ streamtype: "error" });
  expect(ok.id).toBe(3);
  expect(await sent(serverSocket)).toEqual(["RST 1 5", "SYN_REPLY 3 {}"]);
  await client.close();
});

test("writes go out in DATA frames of at most 32 KiB, without waiting for any window", async () => {
  const { client, accepted, serverSocket } = pair();
  const stream = await client.openStream({ streamtype: "stdout" });
  const payload = Buffer.alloc(200_000, "x");
  for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
  (accepted[0] as SpdyStream).end(payload);
  expect((await readAll(stream)).equals(payload)).toBe(true);
  const frames = (await decodeFrames(serverSocket.output())).filter((f) => f.type === "data");
  expect(frames.map((f) => (f.type === "data" ? f.data.length : -1))).toEqual([32768, 32768, 32768, 32768, 32768, 32768, 3392, 0]);
  await client.close();
});

test("PINGs of the peer's parity are echoed; our own come back to us", async () => {
  const { server, client, serverSocket, clientSocket } = pair();
  await within(client.ping(), 1000, "client ping");
  await within(server.ping(), 1000, "server ping");
  await within(client.ping(), 1000, "second client ping");
  expect(await sent(clientSocket)).toEqual(["PING 1", "PING 2", "PING 3"]);
  expect(await sent(serverSocket)).toEqual(["PING 1", "PING 2", "PING 3"]);
  await client.close();
});

test("close() resets the streams we have not finished, sends GOAWAY with the last id and ends the socket", async () => {
  const { server, client, accepted, serverSocket } = pair();
  const a = await client.openStream({ streamtype: "stdout" });
  const b = await client.openStream({ streamtype: "stdin" });
  (accepted[0] as SpdyStream).end("done");
  const [outA, outB] = [readAll(a), readAll(b)];
  await tick();
  await server.close();
  await client.closed;
  expect((await outA).toString()).toBe("done");
  expect((await outB).length).toBe(0);
  expect(b.isReset).toBe(true);
  expect(await sent(serverSocket)).toEqual(["SYN_REPLY 1 {}", "SYN_REPLY 3 {}", 'DATA 1 "done"', "DATA 1 FIN", "RST 3 5", "GOAWAY 3 0"]);
  await expect(client.openStream({ streamtype: "error" })).rejects.toThrow(/closed/);
});

test("an idle connection is reset and closed; any frame keeps it alive", async () => {
  const { server, client, serverSocket } = pair(() => true, { idleTimeoutMs: 150 });
  const stream = await client.openStream({ streamtype: "stdin" });
  let lastFrame = 0;
  for (let i = 0; i < 6; i++) {
    stream.write("x");
    lastFrame = Date.now();
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(server.isOpen).toBe(true);
  await within(server.closed, 2000, "idle close");
  expect(Date.now() - lastFrame).toBeGreaterThanOrEqual(130);
  expect(server.closeReason).toBe("idle timeout");
  expect((await sent(serverSocket)).slice(-2)).toEqual(["RST 1 5", "GOAWAY 1 0"]);
  await client.closed;
});

test("garbage closes the connection with GOAWAY(PROTOCOL_ERROR), without throwing", async () => {
  const socket = new FakeSocket();
  const connection = new SpdyConnection(socket, { role: "server", closeGraceMs: 50 });
  await socket.feed(Buffer.from("GET / HTTP/1.1\r\nHost: nowhere\r\n\r\n"));
  await within(connection.closed, 1000, "closed");
  expect(connection.closeReason).toMatch(/protocol error/);
  expect(await sent(socket)).toEqual(["GOAWAY 0 1"]);
});

test("a socket error ends the streams and settles closed", async () => {
  const { server, client, accepted, serverSocket } = pair();
  await client.openStream({ streamtype: "stdin" });
  const ended = readAll(accepted[0] as SpdyStream);
  serverSocket.destroy(new Error("ECONNRESET"));
  await within(server.closed, 1000, "server closed");
  await within(ended, 1000, "stream ended");
  await within(client.closed, 1000, "client closed");
  expect(server.closeReason).toMatch(/ECONNRESET|closed/);
});

test("a full stream buffer stops reading the socket until its reader catches up", async () => {
  const { client, accepted, serverSocket } = pair();
  const stream = await client.openStream({ streamtype: "stdin" });
  const payload = Buffer.alloc(1024 * 1024, 7);
  stream.end(payload);
  await new Promise((r) => setTimeout(r, 50));
  const slow = accepted[0] as SpdyStream;
  expect(serverSocket.isPaused()).toBe(true);
  expect(slow.readableLength).toBeLessThan(200 * 1024);
  expect((await readAll(slow)).equals(payload)).toBe(true);
  expect(serverSocket.isPaused()).toBe(false);
  await client.close();
});

test("a slow socket holds back the writers' callbacks (no unbounded buffering)", async () => {
  const socket = new FakeSocket({ writableHighWaterMark: 1024 });
  const peer = new PeerWriter();
  let stream: SpdyStream | undefined;
  const connection = new SpdyConnection(socket, {
    role: "server",
    closeGraceMs: 20,
    acceptStream: (s) => {
      stream = s;
      return true;
    },
  });
  await socket.feed(await peer.synStream(1, { streamtype: "stdout" }), 1000);
  await until(() => socket.written.length === 1);
  socket.holdWrites = true;
  let done = false;
  stream?.write(Buffer.alloc(100_000), () => {
    done = true;
  });
  await new Promise((r) => setTimeout(r, 30));
  expect(done).toBe(false);
  expect(stream?.writableLength).toBeGreaterThan(0);
  socket.release();
  await new Promise((r) => setTimeout(r, 10));
  expect(done).toBe(true);
  peer.close();
  await connection.close();
});

test("stream ids of the wrong parity or going backwards are reset with PROTOCOL_ERROR", async () => {
  const socket = new FakeSocket();
  const peer = new PeerWriter();
  const accepted: number[] = [];
  const connection = new SpdyConnection(socket, { role: "server", closeGraceMs: 20, acceptStream: (s) => accepted.push(s.id) > 0 });
  const bytes = Buffer.concat([
    await peer.synStream(2, { streamtype: "a" }),
    await peer.synStream(3, { streamtype: "b" }),
    await peer.synStream(1, { streamtype: "c" }),
  ]);
  await socket.feed(bytes, 5);
  await until(() => socket.written.length === 3);
  expect(accepted).toEqual([3]);
  expect(await sent(socket)).toEqual(["RST 2 1", "SYN_REPLY 3 {}", "RST 1 1"]);
  peer.close();
  await connection.close();
});

test("SETTINGS, WINDOW_UPDATE and stray DATA are ignored; HEADERS blocks are still inflated", async () => {
  const socket = new FakeSocket();
  const peer = new PeerWriter();
  const accepted: SpdyStream[] = [];
  const connection = new SpdyConnection(socket, { role: "server", closeGraceMs: 20, acceptStream: (s) => accepted.push(s) > 0 });
  const bytes = Buffer.concat([
    encodeFrame({ type: "settings", clear: false, entries: [{ id: 7, flags: 0, value: 1 }] }),
    await peer.synStream(1, { streamtype: "stdin" }),
    await peer.headers(1, { extra: "ignored-but-inflated" }),
    encodeFrame({ type: "window_update", streamId: 1, delta: 1 }),
    encodeFrame({ type: "data", streamId: 99, fin: false, data: Buffer.from("nobody") }),
    await peer.synStream(3, { streamtype: "stdout" }),
    encodeFrame({ type: "data", streamId: 1, fin: true, data: Buffer.from("in") }),
  ]);
  await socket.feed(bytes, 3);
  await until(() => socket.written.length === 2);
  expect(accepted.map((s) => s.headers.get("streamtype"))).toEqual(["stdin", "stdout"]);
  expect((await readAll(accepted[0] as SpdyStream)).toString()).toBe("in");
  expect(connection.isOpen).toBe(true);
  expect(await sent(socket)).toEqual(["SYN_REPLY 1 {}", "SYN_REPLY 3 {}"]);
  peer.close();
  await connection.close();
});

test("bytes that came with the upgrade (head) are read before the socket", async () => {
  const socket = new FakeSocket();
  const peer = new PeerWriter();
  const seen: string[] = [];
  const head = await peer.synStream(1, { streamtype: "error" });
  const connection = new SpdyConnection(
    socket,
    { role: "server", closeGraceMs: 20, acceptStream: (s) => seen.push(s.headers.get("streamtype") ?? "") > 0 },
    head,
  );
  await socket.feed(await peer.synStream(3, { streamtype: "stdout" }));
  await until(() => seen.length === 2);
  expect(seen).toEqual(["error", "stdout"]);
  peer.close();
  await connection.close();
});

test("after the peer's GOAWAY the connection closes once its streams are done", async () => {
  const { server, client, accepted, serverSocket, clientSocket } = pair();
  const s = await client.openStream({ streamtype: "data" });
  // What client-go sends when it is done (written under our client connection's feet).
  clientSocket.write(encodeFrame({ type: "goaway", lastGoodStreamId: 0, status: 0 }));
  await new Promise((r) => setTimeout(r, 20));
  expect(server.isOpen).toBe(true);
  s.end();
  (accepted[0] as SpdyStream).end();
  await readAll(accepted[0] as SpdyStream);
  await within(server.closed, 3000, "server closed after GOAWAY");
  expect((await sent(serverSocket)).slice(-1)).toEqual(["GOAWAY 1 0"]);
});

test("pending openStream() calls fail when the connection goes away", async () => {
  const socket = new FakeSocket();
  const client = new SpdyConnection(socket, { role: "client" });
  const opening = client.openStream({ streamtype: "error" });
  socket.destroy();
  await expect(opening).rejects.toThrow(/lost|closing/);
  await client.closed;
});
