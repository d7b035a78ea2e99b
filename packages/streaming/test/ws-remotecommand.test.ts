import { once } from "node:events";
import { connect as tcpConnect } from "node:net";
import { WebSocket } from "ws";
import { WsHandshakeError, wsRemoteCommand } from "../../testkit/src/streaming/ws-client";
import type { CommandResult, RemoteCommandSession, StdioOptions, StreamTimeouts, TerminalSize } from "../src/session";
import { upgradeWebSocketRemoteCommand } from "../src/websocket/remotecommand";
import { deferred, delay, UpgradeServer, within } from "./ws-harness";

const server = new UpgradeServer();
const timeouts: StreamTimeouts = { streamCreationMs: 30_000, idleMs: 60_000 };
const all: StdioOptions = { stdin: true, stdout: true, stderr: true, tty: false };

beforeAll(() => server.start());
afterAll(() => server.stop());

type Backend = (session: RemoteCommandSession) => Promise<void>;

/** Serves the next upgrades with `backend`; the returned list fills with every session (undefined for refusals). */
function serve(stdio: StdioOptions, backend: Backend, t: StreamTimeouts = timeouts): Array<Promise<RemoteCommandSession | undefined>> {
  const sessions: Array<Promise<RemoteCommandSession | undefined>> = [];
  server.handler = (req, socket, head) => {
    const session = upgradeWebSocketRemoteCommand(req, socket, head, stdio, t);
    sessions.push(session);
    void session.then((s) => (s ? backend(s) : undefined));
  };
  return sessions;
}

function firstChunk(session: RemoteCommandSession): Promise<Buffer> {
  return once(session.stdin!, "data").then(([chunk]) => chunk as Buffer);
}

async function readAll(session: RemoteCommandSession): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of session.stdin!) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Upper-cases the first stdin chunk (or all of stdin until EOF) to stdout, says "err" on stderr, then finishes. */
function upper(result: CommandResult, untilEof = false): Backend {
  return async (s) => {
    if (s.stdin) {
      const input = untilEof ? await readAll(s) : await firstChunk(s);
      s.stdout?.write(input.toString().toUpperCase());
    }
    s.stderr?.write("err\n");
    await s.finish(result);
  };
}

const empty = Buffer.alloc(0);

describe("WebSocket exec/attach", () => {
  it("v4.channel.k8s.io: binary channels, NonZeroExitCode status, close 1000", async () => {
    serve(all, upper({ kind: "exited", exitCode: 3 }));
    const r = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["v4.channel.k8s.io"], stdin: "hello\n" });
    expect(r.protocol).toBe("v4.channel.k8s.io");
    expect(r.frames[0]).toEqual({ channel: 1, payload: empty });
    expect(r.stdout.toString()).toBe("HELLO\n");
    expect(r.stderr.toString()).toBe("err\n");
    expect(r.exitCode).toBe(3);
    expect(r.status).toEqual({
      metadata: {},
      status: "Failure",
      message: "command terminated with non-zero exit code: exit status 3",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    });
    expect(r.closeCode).toBe(1000);
    expect(r.frames.some((f) => "closeSignal" in f)).toBe(false);
  });

  it("v4.base64.channel.k8s.io with a tty: text frames, resize delivered in order, Success", async () => {
    const sizes = deferred<TerminalSize[]>();
    serve({ stdin: true, stdout: true, stderr: false, tty: true }, async (s) => {
      const seen: TerminalSize[] = [];
      s.onResize((size) => seen.push(size));
      const input = await firstChunk(s);
      sizes.resolve(seen);
      s.stdout?.write(`${input.toString().toUpperCase()}\r\n`);
      await s.finish({ kind: "exited", exitCode: 0 });
    });
    const r = await wsRemoteCommand(server.url("/exec/x"), {
      protocols: ["v4.base64.channel.k8s.io"],
      tty: true,
      resize: [
        { width: 100, height: 30 },
        { width: 120, height: 40 },
      ],
      stdin: "stty size\r",
    });
    expect(r.protocol).toBe("v4.base64.channel.k8s.io");
    expect(r.frames[0]).toEqual({ channel: 1, payload: empty });
    expect(r.stdout.toString()).toBe("STTY SIZE\r\r\n");
    expect(r.status).toEqual({ metadata: {}, status: "Success" });
    expect(r.exitCode).toBe(0);
    expect(await sizes.promise).toEqual([
      { width: 100, height: 30 },
      { width: 120, height: 40 },
    ]);
  });

  it("v5.channel.k8s.io: [255,0] ends stdin, end() on outputs sends [255,ch]", async () => {
    serve(all, async (s) => {
      const input = await readAll(s);
      s.stdout?.end(input.toString().toUpperCase());
      await s.finish({ kind: "exited", exitCode: 0 });
    });
    const r = await wsRemoteCommand(server.url("/exec/x"), { stdin: "one\ntwo\n", closeStdin: true });
    expect(r.protocol).toBe("v5.channel.k8s.io");
    expect(r.stdout.toString()).toBe("ONE\nTWO\n");
    expect(r.exitCode).toBe(0);
    // stdout data, then its close signal; finish() ends stderr too, all before the status.
    const order = r.frames.map((f) => ("closeSignal" in f ? `close${f.closeSignal}` : `ch${f.channel}`));
    expect(order).toEqual(["ch1", "ch1", "close1", "close2", "ch3"]);
  });

  it("the client's order decides between supported protocols", async () => {
    serve(all, upper({ kind: "exited", exitCode: 0 }));
    const r = await wsRemoteCommand(server.url("/exec/x"), {
      protocols: ["v3.channel.k8s.io", "channel.k8s.io", "v4.channel.k8s.io"],
      stdin: "a",
    });
    expect(r.protocol).toBe("channel.k8s.io");
  });

  it("channel.k8s.io (v1): nothing on success, plain text on failure", async () => {
    serve(all, upper({ kind: "exited", exitCode: 0 }));
    const ok = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["channel.k8s.io"], stdin: "ok" });
    expect(ok.stdout.toString()).toBe("OK");
    expect(ok.frames.some((f) => "channel" in f && f.channel === 3)).toBe(false);
    expect(ok.status).toBeUndefined();
    expect(ok.exitCode).toBe(0);

    serve(all, upper({ kind: "exited", exitCode: 2 }));
    const bad = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["channel.k8s.io"], stdin: "ok" });
    expect(bad.status).toBe("command terminated with non-zero exit code: exit status 2");
    expect(bad.exitCode).toBeUndefined();
  });

  it("base64.channel.k8s.io (v1) and no subprotocol (binary v1)", async () => {
    serve(all, upper({ kind: "error", message: "no such binary" }));
    const b64 = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["base64.channel.k8s.io"], stdin: "x" });
    expect(b64.protocol).toBe("base64.channel.k8s.io");
    expect(b64.stdout.toString()).toBe("X");
    expect(b64.status).toBe("Internal error occurred: no such binary");

    serve(all, upper({ kind: "exited", exitCode: 0 }));
    const none = await wsRemoteCommand(server.url("/exec/x"), { protocols: [], stdin: "y" });
    expect(none.protocol).toBe("");
    expect(none.stdout.toString()).toBe("Y");
    expect(none.exitCode).toBe(0);
  });

  it("reports a runtime error as InternalError with code 500", async () => {
    serve({ stdin: false, stdout: true, stderr: true, tty: false }, async (s) => {
      await s.finish({ kind: "error", message: "failed to start exec: not found" });
    });
    const r = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["v4.channel.k8s.io"] });
    expect(r.status).toEqual({
      metadata: {},
      status: "Failure",
      message: "Internal error occurred: failed to start exec: not found",
      reason: "InternalError",
      details: { causes: [{ message: "failed to start exec: not found" }] },
      code: 500,
    });
    expect(r.exitCode).toBeUndefined();
  });

  it("sends the initial empty message on the lowest writable channel", async () => {
    const finishAtOnce: Backend = (s) => s.finish({ kind: "exited", exitCode: 0 });
    serve({ stdin: false, stdout: false, stderr: true, tty: false }, finishAtOnce);
    const errOnly = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["v4.channel.k8s.io"] });
    expect(errOnly.frames[0]).toEqual({ channel: 2, payload: empty });

    serve({ stdin: true, stdout: false, stderr: false, tty: false }, finishAtOnce);
    const none = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["v4.channel.k8s.io"] });
    expect(none.frames[0]).toEqual({ channel: 3, payload: empty });
    expect(none.frames).toHaveLength(2);
  });

  it("finish() lets queued output out first and is idempotent", async () => {
    const results = deferred<unknown>();
    serve(all, async (s) => {
      for (let i = 0; i < 50; i++) s.stdout?.write(Buffer.alloc(32 * 1024, 0x61));
      results.resolve(await Promise.all([s.finish({ kind: "exited", exitCode: 0 }), s.finish({ kind: "exited", exitCode: 9 })]));
      await s.closed;
    });
    const r = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["v4.channel.k8s.io"] });
    expect(r.stdout.length).toBe(50 * 32 * 1024);
    expect(r.exitCode).toBe(0);
    await results.promise;
  });

  it("answers the captured handshake (ws-exec-v4.txt) with the same 101 and initial frame, declining compression", async () => {
    serve({ stdin: false, stdout: true, stderr: true, tty: false }, () => new Promise(() => {}));
    const raw = tcpConnect(server.port, "127.0.0.1");
    raw.write(
      "GET /exec/ehGyCBOb HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: GWWmnmzy1ew3KAa3lHkexA==\r\n" +
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
        "Sec-WebSocket-Protocol: v4.channel.k8s.io,channel.k8s.io\r\nHost: 127.0.0.1:42831\r\n\r\n",
    );
    let received = Buffer.alloc(0);
    const expected = Buffer.concat([
      Buffer.from(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Accept: jPCXZ4Y0IXVhT1QfNjEjqCQnHnA=\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n",
      ),
      Buffer.from([0x82, 0x01, 0x01]),
    ]);
    raw.on("data", (c: Buffer) => {
      received = Buffer.concat([received, c]);
    });
    for (let i = 0; i < 50 && received.length < expected.length; i++) await delay(10);
    raw.destroy();
    expect(received.toString("latin1")).toBe(expected.toString("latin1"));
  });

  it("answers 403 with a bare status line when no subprotocol overlaps", async () => {
    const sessions = serve(all, upper({ kind: "exited", exitCode: 0 }));
    await expect(wsRemoteCommand(server.url("/exec/x"), { protocols: ["v3.channel.k8s.io", "bogus"] })).rejects.toEqual(
      new WsHandshakeError(403, ""),
    );
    expect(await sessions[0]).toBeUndefined();

    const raw = tcpConnect(server.port, "127.0.0.1");
    raw.write(
      "GET /exec/x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: GWWmnmzy1ew3KAa3lHkexA==\r\nSec-WebSocket-Protocol: v2.channel.k8s.io\r\n\r\n",
    );
    const received: Buffer[] = [];
    raw.on("data", (c: Buffer) => received.push(c));
    await once(raw, "end");
    raw.destroy();
    expect(Buffer.concat(received).toString()).toBe("HTTP/1.1 403 Forbidden\r\n\r\n");
  });

  it("drops messages for unrequested, unknown or empty channels", async () => {
    const got = deferred<Buffer>();
    serve({ stdin: true, stdout: true, stderr: false, tty: false }, async (s) => {
      const resized: TerminalSize[] = [];
      s.onResize((size) => resized.push(size));
      const input = await firstChunk(s);
      got.resolve(input);
      s.stdout?.write(`${input.toString()}:${resized.length}`);
      await s.finish({ kind: "exited", exitCode: 0 });
    });
    const ws = new WebSocket(server.url("/exec/x").replace("http", "ws"), ["v4.channel.k8s.io"]);
    await once(ws, "open");
    ws.send(Buffer.from([2, 0x78])); // stderr is output-only and was not asked for
    ws.send(Buffer.from([7, 0x78])); // no such channel
    ws.send(Buffer.from([4, ...Buffer.from('{"Width":1,"Height":1}')])); // resize without a tty
    ws.send(Buffer.alloc(0));
    ws.send(Buffer.from([0]));
    ws.send(Buffer.from([0, 0x6f, 0x6b]));
    const messages: Buffer[] = [];
    ws.on("message", (m: Buffer) => messages.push(m));
    await once(ws, "close");
    expect((await got.promise).toString()).toBe("ok");
    expect(messages.map((m) => m.toString("latin1"))).toContain("\u0001ok:0");
  });

  it("buffers resize events that arrive before a listener", async () => {
    const sizes = deferred<TerminalSize[]>();
    serve({ stdin: true, stdout: true, stderr: false, tty: true }, async (s) => {
      await firstChunk(s); // the sizes were sent before stdin, so they are in by now
      const seen: TerminalSize[] = [];
      s.onResize((size) => seen.push(size));
      sizes.resolve(seen);
      await s.finish({ kind: "exited", exitCode: 0 });
    });
    await wsRemoteCommand(server.url("/exec/x"), { protocols: ["v5.channel.k8s.io"], tty: true, stdin: "go" });
    expect(await sizes.promise).toEqual([{ width: 80, height: 24 }]);
  });
});

describe("WebSocket exec/attach: failures and limits", () => {
  async function openRaw(protocol: string, stdio: StdioOptions = all, t: StreamTimeouts = timeouts) {
    const sessions = serve(stdio, async () => {}, t);
    const ws = new WebSocket(server.url("/exec/x").replace("http", "ws"), protocol === "" ? [] : [protocol]);
    ws.on("error", () => {});
    await once(ws, "open");
    const session = (await sessions[0]) as RemoteCommandSession;
    return { ws, session };
  }

  async function stillServes(): Promise<void> {
    serve(all, upper({ kind: "exited", exitCode: 4 }));
    const r = await wsRemoteCommand(server.url("/exec/x"), { protocols: ["v4.channel.k8s.io"], stdin: "fine" });
    expect(r.stdout.toString()).toBe("FINE");
    expect(r.exitCode).toBe(4);
  }

  it.each([
    ["a text frame on a binary protocol", "v4.channel.k8s.io", (ws: WebSocket) => ws.send("0aGk=")],
    ["a binary frame on a base64 protocol", "v4.base64.channel.k8s.io", (ws: WebSocket) => ws.send(Buffer.from([0, 1]))],
    ["bad base64", "v4.base64.channel.k8s.io", (ws: WebSocket) => ws.send("0!!!")],
    ["a 3-byte close signal", "v5.channel.k8s.io", (ws: WebSocket) => ws.send(Buffer.from([255, 0, 0]))],
    ["a close signal for channel 9", "v5.channel.k8s.io", (ws: WebSocket) => ws.send(Buffer.from([255, 9]))],
    ["an oversized message", "v4.channel.k8s.io", (ws: WebSocket) => ws.send(Buffer.alloc(16 * 1024 * 1024 + 2))],
  ])("closes the connection on %s", async (_what, protocol, misbehave) => {
    const { ws, session } = await openRaw(protocol);
    const stdinEnded = once(session.stdin!, "end");
    session.stdin!.resume();
    misbehave(ws);
    const [code] = await once(ws, "close");
    expect([1002, 1009]).toContain(code);
    await within(session.closed, 3000, "closed");
    await stdinEnded;
    await stillServes();
  });

  it("survives invalid WebSocket framing from a raw socket", async () => {
    const sessions = serve(all, async () => {});
    const raw = tcpConnect(server.port, "127.0.0.1");
    raw.on("error", () => {});
    raw.write(
      "GET /exec/x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: GWWmnmzy1ew3KAa3lHkexA==\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n",
    );
    await once(raw, "data");
    raw.write(Buffer.from([0x83, 0x01, 0x00])); // reserved opcode, unmasked
    const session = (await sessions[0]) as RemoteCommandSession;
    await within(session.closed, 3000, "closed");
    raw.destroy();
    await stillServes();
  });

  it("refuses a malformed handshake and resolves undefined", async () => {
    const sessions = serve(all, async () => {});
    const raw = tcpConnect(server.port, "127.0.0.1");
    raw.write("GET /exec/x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n");
    const received: Buffer[] = [];
    raw.on("data", (c: Buffer) => received.push(c));
    await once(raw, "close");
    expect(Buffer.concat(received).toString()).toMatch(/^HTTP\/1.1 400 /);
    expect(await sessions[0]).toBeUndefined();
  });

  it("closes an idle connection; traffic in either direction keeps it open", async () => {
    const { ws, session } = await openRaw("v4.channel.k8s.io", all, { streamCreationMs: 1000, idleMs: 500 });
    session.stdin!.resume();
    let closedAt = 0;
    void session.closed.then(() => {
      closedAt = Date.now();
    });
    let lastTraffic = Date.now();
    for (let i = 0; i < 6; i++) {
      await delay(100);
      if (i % 2 === 0) ws.send(Buffer.from([0, 0x61]));
      else session.stdout!.write("b");
      lastTraffic = Date.now();
    }
    expect(closedAt).toBe(0);
    const [code] = await once(ws, "close");
    expect(code).toBe(1000);
    await session.closed;
    expect(closedAt - lastTraffic).toBeGreaterThanOrEqual(450);
  });

  it("settles closed and ends stdin when the client vanishes; later writes are dropped", async () => {
    const { ws, session } = await openRaw("v4.channel.k8s.io");
    const stdinEnded = once(session.stdin!, "end");
    session.stdin!.resume();
    ws.terminate();
    await within(session.closed, 3000, "closed");
    await stdinEnded;
    expect(session.stdout!.write("nobody listens")).toBe(true);
    await within(session.finish({ kind: "exited", exitCode: 0 }), 3000, "finish");
  });

  it("stops accepting output from the backend when the client does not read", async () => {
    const { ws, session } = await openRaw("v4.channel.k8s.io");
    ws.pause();
    const chunk = Buffer.alloc(1024 * 1024, 0x7a);
    let accepted = 0;
    const stdout = session.stdout!;
    for (;;) {
      accepted += chunk.length;
      if (stdout.write(chunk)) continue;
      const drained = await Promise.race([once(stdout, "drain").then(() => true), delay(500).then(() => false)]);
      if (!drained) break;
      if (accepted > 256 * 1024 * 1024) break;
    }
    // Whatever the kernel buffers take, plus our small queues; far from everything the backend would write.
    expect(accepted).toBeLessThan(64 * 1024 * 1024);
    ws.terminate();
    await within(session.closed, 3000, "closed");
    await within(session.finish({ kind: "exited", exitCode: 0 }), 3000, "finish");
  });

  it("leaves no socket behind after finish", async () => {
    await stillServes();
    for (let i = 0; i < 20 && server.openSockets > 0; i++) await delay(50);
    expect(server.openSockets).toBe(0);
  });
});
