import { once } from "node:events";
import type { Server } from "node:http";
import { request } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { connectSpdy, SpdyUpgradeError, spdyRemoteCommand } from "../../testkit/src/streaming/spdy-client";
import type { RemoteCommandSession, StdioOptions, StreamTimeouts } from "../src/session";
import { FrameParser } from "../src/spdy/frames";
import { upgradeSpdyRemoteCommand } from "../src/spdy/remotecommand";
import { readAll, until, upgradeServer, within } from "./spdy-harness";

/** exec/attach over real sockets: a Node http server upgrading with our code, and the testkit's client-go-like client. */

const STDIO: StdioOptions = { stdin: true, stdout: true, stderr: true, tty: false };
let url = "";
let server: Server;
let handler: { current: (req: import("node:http").IncomingMessage, socket: Duplex, head: Buffer) => void };
let timeouts: StreamTimeouts;
let upgrades: Array<Promise<RemoteCommandSession | undefined>>;

/** Serves every upgrade with `run` on a session for `stdio`. */
function serve(stdio: StdioOptions, run: (session: RemoteCommandSession) => void | Promise<void>): void {
  handler.current = (req, socket, head) => {
    const upgraded = upgradeSpdyRemoteCommand(req, socket, head, stdio, timeouts);
    upgrades.push(upgraded);
    void upgraded.then((session) => session && run(session));
  };
}

beforeAll(async () => {
  ({ url, server, handler } = await upgradeServer());
});
beforeEach(() => {
  timeouts = { streamCreationMs: 5000, idleMs: 60_000 };
  upgrades = [];
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

test("stdin in, stdout and stderr out, exit code 7 in a v4 Status", async () => {
  serve(STDIO, async (s) => {
    const input = (await readAll(s.stdin as Duplex)).toString();
    s.stdout?.write(`got:${input.toUpperCase()}`);
    s.stderr?.write("to-stderr\n");
    await s.finish({ kind: "exited", exitCode: 7 });
  });
  const r = await spdyRemoteCommand(`${url}/exec/x`, { stdin: "hello\n" });
  expect(r.protocol).toBe("v5.channel.k8s.io");
  expect(r.stdout.toString()).toBe("got:HELLO\n");
  expect(r.stderr.toString()).toBe("to-stderr\n");
  expect(r.exitCode).toBe(7);
  expect(r.status).toMatchObject({
    status: "Failure",
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: "7" }] },
  });
  const session = await upgrades[0];
  await within(session?.closed ?? Promise.resolve(), 3000, "server side closed");
});

test("success is status Success; an error is an InternalError with code 500", async () => {
  serve({ ...STDIO, stdin: false }, (s) => s.finish({ kind: "exited", exitCode: 0 }));
  const ok = await spdyRemoteCommand(`${url}/exec/x`, {});
  expect(ok.exitCode).toBe(0);
  expect(ok.status).toEqual({ metadata: {}, status: "Success" });
  serve({ ...STDIO, stdin: false }, (s) => s.finish({ kind: "error", message: "no such binary" }));
  const bad = await spdyRemoteCommand(`${url}/exec/x`, {});
  expect(bad.exitCode).toBeUndefined();
  expect(bad.status).toEqual({
    metadata: {},
    status: "Failure",
    message: "Internal error occurred: no such binary",
    reason: "InternalError",
    details: { causes: [{ message: "no such binary" }] },
    code: 500,
  });
});

test("v1-v3 clients get nothing on success and plain text on failure", async () => {
  serve({ ...STDIO, stdin: false }, (s) => s.finish({ kind: "exited", exitCode: 2 }));
  const v3 = await spdyRemoteCommand(`${url}/exec/x`, { protocols: ["v3.channel.k8s.io", "v2.channel.k8s.io"] });
  expect(v3.protocol).toBe("v3.channel.k8s.io");
  expect(v3.status).toMatch(/^command terminated with non-zero exit code: .*2/);
  expect(v3.exitCode).toBeUndefined();
  serve({ ...STDIO, stdin: false }, (s) => s.finish({ kind: "exited", exitCode: 0 }));
  const v1 = await spdyRemoteCommand(`${url}/exec/x`, { protocols: ["channel.k8s.io"] });
  expect(v1.protocol).toBe("channel.k8s.io");
  expect(v1.status).toBeUndefined();
  expect(v1.exitCode).toBe(0);
});

test("tty: no stderr, resize sizes reach a listener registered late, in order", async () => {
  serve({ stdin: true, stdout: true, stderr: true, tty: true }, async (s) => {
    expect(s.stderr).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    const sizes: string[] = [];
    s.onResize((size) => sizes.push(`${size.height} ${size.width}`));
    await readAll(s.stdin as Duplex);
    await until(() => sizes.length === 3);
    s.stdout?.write(`${sizes.join("\r\n")}\r\n`);
    await s.finish({ kind: "exited", exitCode: 0 });
  });
  const r = await spdyRemoteCommand(`${url}/exec/x`, {
    tty: true,
    stdin: "x",
    resize: [
      { width: 80, height: 24 },
      { width: 100, height: 30 },
      { width: 132, height: 43 },
    ],
  });
  expect(r.stdout.toString()).toBe("24 80\r\n30 100\r\n43 132\r\n");
  expect(r.exitCode).toBe(0);
});

test("resize objects need no framing: any whitespace, split anywhere", async () => {
  serve({ stdin: false, stdout: true, stderr: false, tty: true }, () => {});
  const { connection } = await connectSpdy(`${url}/exec/x`, ["v4.channel.k8s.io"]);
  for (const streamtype of ["error", "stdout"]) await connection.openStream({ streamtype });
  const resize = await connection.openStream({ streamtype: "resize" });
  const text = '{"Width":1,"Height":2}  \t{"Width":3,\n "Height":4}{"height":6,"width":5}\r\n';
  for (let at = 0; at < text.length; at += 5) resize.write(text.slice(at, at + 5));
  const session = await upgrades[0];
  const sizes: unknown[] = [];
  session?.onResize((size) => sizes.push(size));
  await until(() => sizes.length === 3);
  expect(sizes).toEqual([
    { width: 1, height: 2 },
    { width: 3, height: 4 },
    { width: 5, height: 6 },
  ]);
  await session?.finish({ kind: "exited", exitCode: 0 });
  await within(connection.closed, 3000, "closed");
});

test("a v2 client with a tty has no resize stream to open, and still gets its session", async () => {
  serve({ stdin: false, stdout: true, stderr: false, tty: true }, (s) => s.finish({ kind: "exited", exitCode: 0 }));
  const r = await spdyRemoteCommand(`${url}/exec/x`, { tty: true, protocols: ["v2.channel.k8s.io"], resize: [{ width: 1, height: 1 }] });
  expect(r.protocol).toBe("v2.channel.k8s.io");
  expect(r.exitCode).toBe(0);
});

test("200 000 bytes of stdout arrive intact in <= 32 KiB frames, with no SETTINGS or WINDOW_UPDATE either way", async () => {
  const payload = Buffer.alloc(200_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) % 256;
  const inbound: Buffer[] = [];
  const outbound: Buffer[] = [];
  handler.current = (req, socket, head) => {
    socket.on("data", (chunk: Buffer) => inbound.push(chunk));
    const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
    socket.write = ((chunk: Buffer | string) => {
      outbound.push(Buffer.from(chunk));
      return write(Buffer.from(chunk));
    }) as typeof socket.write;
    void upgradeSpdyRemoteCommand(req, socket, head, { ...STDIO, stdin: false }, timeouts).then(async (s) => {
      s?.stdout?.end(payload);
      await s?.finish({ kind: "exited", exitCode: 0 });
    });
  };
  const r = await spdyRemoteCommand(`${url}/exec/x`, {});
  expect(r.stdout.equals(payload)).toBe(true);
  const frames = (bytes: Buffer[]) => {
    const all = Buffer.concat(bytes);
    return new FrameParser().push(
      all.subarray(all.indexOf("\r\n\r\n") >= 0 && all.subarray(0, 5).toString() === "HTTP/" ? all.indexOf("\r\n\r\n") + 4 : 0),
    ).frames;
  };
  const types = [...frames(inbound), ...frames(outbound)].map((f) => f.type);
  expect(types).not.toContain("window_update");
  expect(types).not.toContain("settings");
  const sizes = frames(outbound).flatMap((f) => (f.type === "data" && f.streamId === 3 ? [f.data.length] : []));
  expect(Math.max(...sizes)).toBe(32 * 1024);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(200_000);
});

test("many sessions at once", async () => {
  serve(STDIO, async (s) => {
    const input = (await readAll(s.stdin as Duplex)).toString().trim();
    s.stdout?.write(`${input}-${input.slice(1)}\n`);
    await s.finish({ kind: "exited", exitCode: Number(input.slice(1)) % 5 });
  });
  const results = await Promise.all(Array.from({ length: 25 }, (_, i) => spdyRemoteCommand(`${url}/exec/x`, { stdin: `s${i}\n` })));
  results.forEach((r, i) => {
    expect(r.stdout.toString()).toBe(`s${i}-${i}\n`);
    expect(r.exitCode).toBe(i % 5);
  });
});

test("garbage after the upgrade: GOAWAY(PROTOCOL_ERROR), the connection closes, nothing crashes", async () => {
  serve(STDIO, () => {});
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  await once(socket, "connect");
  const received: Buffer[] = [];
  socket.on("data", (c: Buffer) => received.push(c));
  socket.write(
    "POST /exec/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n",
  );
  await until(() => Buffer.concat(received).includes("\r\n\r\n"));
  socket.write("this is not SPDY at all\r\n");
  await within(once(socket, "end"), 3000, "server closes");
  socket.destroy();
  expect(await upgrades[0]).toBeUndefined();
  const all = Buffer.concat(received);
  const { frames } = new FrameParser().push(all.subarray(all.indexOf("\r\n\r\n") + 4));
  expect(frames).toEqual([{ type: "goaway", lastGoodStreamId: 0, status: 1 }]);
});

test("a client that vanishes mid-session: stdin ends and closed settles", async () => {
  serve(STDIO, () => {});
  const { connection } = await connectSpdy(`${url}/exec/x`, ["v4.channel.k8s.io"]);
  for (const streamtype of ["error", "stdin", "stdout", "stderr"]) await connection.openStream({ streamtype });
  const session = await within(upgrades[0] as Promise<RemoteCommandSession | undefined>, 2000, "session");
  const stdinEnded = readAll(session?.stdin as Duplex);
  connection.destroy("gone");
  await within(session?.closed ?? Promise.reject(new Error("no session")), 3000, "closed");
  await within(stdinEnded, 1000, "stdin end");
  // Writing to a dead session is harmless, and so is finishing it.
  session?.stdout?.write("nobody listens");
  await session?.finish({ kind: "exited", exitCode: 0 });
});

test("an idle session is reset and closed", async () => {
  timeouts = { streamCreationMs: 5000, idleMs: 300 };
  serve(STDIO, () => {});
  const { connection } = await connectSpdy(`${url}/exec/x`, ["v4.channel.k8s.io"]);
  const streams = [];
  for (const streamtype of ["error", "stdin", "stdout", "stderr"]) streams.push(await connection.openStream({ streamtype }));
  const session = await upgrades[0];
  await within(session?.closed ?? Promise.reject(new Error("no session")), 3000, "idle close");
  await within(connection.closed, 3000, "client side closed");
  expect(streams.every((s) => s.isReset)).toBe(true);
});

test("streams not all created in time: no session, connection dropped", async () => {
  timeouts = { streamCreationMs: 200, idleMs: 60_000 };
  serve(STDIO, () => {});
  const { connection } = await connectSpdy(`${url}/exec/x`, ["v4.channel.k8s.io"]);
  await connection.openStream({ streamtype: "error" });
  expect(await within(upgrades[0] as Promise<RemoteCommandSession | undefined>, 2000, "upgrade")).toBeUndefined();
  await within(connection.closed, 3000, "client closed");
});

test("403 with the accepted protocols when none overlap", async () => {
  serve(STDIO, () => {});
  const err = await spdyRemoteCommand(`${url}/exec/x`, { protocols: ["v9.channel.k8s.io"] }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SpdyUpgradeError);
  const refused = err as SpdyUpgradeError;
  expect(refused.statusCode).toBe(403);
  expect(refused.headers["x-accepted-stream-protocol-versions"]).toBe(
    "v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io",
  );
  expect(refused.body).toBe(
    "unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io], server accepts [v5.channel.k8s.io v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]\n",
  );
  expect(await upgrades[0]).toBeUndefined();
});

test("400 without X-Stream-Protocol-Version, and for an upgrade to something else", async () => {
  serve(STDIO, () => {});
  const ask = (headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/exec/x`, {
        method: "POST",
        agent: false,
        headers: { "Content-Length": "0", Connection: "Upgrade", ...headers },
      });
      req.on("response", async (res) => resolve({ status: res.statusCode ?? 0, body: (await readAll(res)).toString() }));
      req.on("upgrade", () => reject(new Error("upgraded")));
      req.on("error", reject);
      req.end();
    });
  expect(await ask({ Upgrade: "SPDY/3.1" })).toEqual({ status: 400, body: "unable to upgrade: X-Stream-Protocol-Version is required\n" });
  const other = await ask({ Upgrade: "h2c", "X-Stream-Protocol-Version": "v4.channel.k8s.io" });
  expect(other.status).toBe(400);
  expect(other.body).toMatch(/^unable to upgrade: missing upgrade headers in request/);
});
