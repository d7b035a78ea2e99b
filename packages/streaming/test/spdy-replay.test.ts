import type { StdioOptions } from "../src/session";
import { SpdyConnection } from "../src/spdy/connection";
import { upgradeSpdyPortForward } from "../src/spdy/portforward";
import { upgradeSpdyRemoteCommand } from "../src/spdy/remotecommand";
import type { SpdyStream } from "../src/spdy/stream";
import { spdyCapture } from "./spdy-fixtures";
import { decodeFrames, FakeSocket, readAll, requestFromHead, show, splitFrames, until, within } from "./spdy-harness";

/**
 * The captured crictl -> containerd sessions, replayed: the client's bytes go into our server in 7-byte
 * pieces, and what we answer is compared with what containerd answered.
 */

const TIMEOUTS = { streamCreationMs: 5000, idleMs: 60_000 };
const RST_STREAM = 0x80030003;
const GOAWAY = 0x80030007;

/** The client's frames, cut before its teardown (RST_STREAM/GOAWAY), which it only sent after our close. */
function clientBytes(name: string): { request: string; live: Buffer; teardown: Buffer } {
  const capture = spdyCapture(name);
  const frames = splitFrames(capture.clientFrames);
  const cut = frames.findIndex((f) => [RST_STREAM, GOAWAY].includes(f.readUInt32BE(0)));
  const at = cut < 0 ? frames.length : cut;
  return { request: capture.request, live: Buffer.concat(frames.slice(0, at)), teardown: Buffer.concat(frames.slice(at)) };
}

/** Our answer after the 101 head, decoded. */
async function answer(socket: FakeSocket): Promise<{ head: string; frames: string[] }> {
  const out = socket.output();
  const end = out.indexOf("\r\n\r\n") + 4;
  return { head: out.subarray(0, end).toString(), frames: (await decodeFrames(out.subarray(end))).map(show) };
}

async function theirAnswer(name: string): Promise<string[]> {
  return (await decodeFrames(spdyCapture(name).serverFrames)).map(show);
}

/** `headBytes` of the client's frames come as the upgrade's `head` (read past the request by Node), the rest by socket. */
async function replayRemoteCommand(name: string, stdio: StdioOptions, headBytes = 0) {
  const { request, live, teardown } = clientBytes(name);
  const socket = new FakeSocket();
  const upgraded = upgradeSpdyRemoteCommand(requestFromHead(request), socket, live.subarray(0, headBytes), stdio, TIMEOUTS);
  await socket.feed(live.subarray(headBytes), 7);
  const session = await within(upgraded, 2000, "session");
  if (!session) throw new Error("no session");
  return { session, socket, teardown };
}

test("exec-stdin: four streams, stdin with FIN, and the same answer as containerd but for FIN instead of RST on error", async () => {
  const { session, socket, teardown } = await replayRemoteCommand("exec-stdin.pcap", {
    stdin: true,
    stdout: true,
    stderr: true,
    tty: false,
  });
  expect(session.protocol).toBe("v5.channel.k8s.io");
  expect((await readAll(session.stdin as SpdyStream)).toString()).toBe("hello\n");
  session.stdout?.write("got-hello\n");
  await session.finish({ kind: "exited", exitCode: 0 });
  await socket.feed(teardown, 7);
  socket.push(null);
  await within(session.closed, 3000, "closed");

  const ours = await answer(socket);
  expect(ours.head).toBe(
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v5.channel.k8s.io\r\n\r\n",
  );
  const theirs = (await theirAnswer("exec-stdin.pcap")).map((f) => (f === "RST 1 5" ? "DATA 1 FIN" : f));
  expect(ours.frames).toEqual(theirs);
  // The first SYN_REPLY's header block opens our compression context exactly as Go's did.
  const out = socket.output();
  const firstBlock = out.subarray(out.indexOf("\r\n\r\n") + 4 + 12);
  expect(firstBlock.subarray(0, 6).toString("hex")).toBe("78f9e3c6a7c2");
});

test("exec-tty: resize sizes, stdin keystrokes, PING echo, exit 5", async () => {
  const { session, socket } = await replayRemoteCommand("exec-tty.pcap", { stdin: true, stdout: true, stderr: false, tty: true });
  const stdin: Buffer[] = [];
  session.stdin?.on("data", (chunk: Buffer) => stdin.push(chunk));
  const sizes: unknown[] = [];
  session.onResize((size) => sizes.push(size));
  await until(() => sizes.length === 2);
  expect(sizes).toEqual([
    { width: 80, height: 24 },
    { width: 100, height: 30 },
  ]);
  expect(session.stderr).toBeUndefined();
  await until(() => Buffer.concat(stdin).toString().endsWith("exit 5\r"));
  expect(Buffer.concat(stdin).toString()).toBe("\x1b[6;5Rstty size\r\x1b[8;5Rstty size\r\x1b[10;5Rexit 5\r");
  session.stdout?.write("exit 5\r\n");
  await session.finish({ kind: "exited", exitCode: 5 });
  socket.push(null);
  await within(session.closed, 3000, "closed");

  const { frames } = await answer(socket);
  expect(frames.slice(0, 5)).toEqual(["SYN_REPLY 1 {}", "SYN_REPLY 3 {}", "SYN_REPLY 5 {}", "SYN_REPLY 7 {}", "PING 1"]);
  const status = JSON.parse(JSON.parse((frames[7] as string).slice("DATA 1 ".length)));
  expect(status).toEqual({
    metadata: {},
    status: "Failure",
    message: expect.stringContaining("command terminated with non-zero exit code"),
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: "5" }] },
  });
  expect(frames.slice(5, 7)).toEqual(['DATA 5 "exit 5\\r\\n"', "DATA 5 FIN"]);
  expect(frames.slice(8)).toEqual(["DATA 1 FIN", "RST 3 5", "RST 7 5", "GOAWAY 7 0"]);
});

test("exec-nonzero (part of it as the upgrade's head bytes): the status has containerd's shape and key order", async () => {
  const { session, socket } = await replayRemoteCommand("exec-nonzero.pcap", { stdin: false, stdout: true, stderr: true, tty: false }, 60);
  expect(session.stdin).toBeUndefined();
  session.stdout?.write("out\n");
  session.stderr?.write("err\n");
  await session.finish({ kind: "exited", exitCode: 3 });
  socket.push(null);
  await within(session.closed, 3000, "closed");
  const { frames } = await answer(socket);
  const theirs = await theirAnswer("exec-nonzero.pcap");
  expect(frames.slice(0, 3)).toEqual(theirs.slice(0, 3));
  const statusOf = (list: string[]) =>
    JSON.parse(JSON.parse((list.find((f) => f.startsWith('DATA 1 "{')) as string).slice("DATA 1 ".length)));
  const [ourStatus, theirStatus] = [statusOf(frames), statusOf(theirs)];
  expect(Object.keys(ourStatus)).toEqual(Object.keys(theirStatus));
  expect({ ...ourStatus, message: "" }).toEqual({ ...theirStatus, message: "" });
  expect(frames.slice(3, 7)).toEqual(['DATA 3 "out\\n"', 'DATA 5 "err\\n"', "DATA 3 FIN", "DATA 5 FIN"]);
  expect(frames.slice(-2)).toEqual(["DATA 1 FIN", "GOAWAY 5 0"]);
});

test("exec-notfound: an error result is containerd's InternalError status, byte for byte", async () => {
  const { session, socket } = await replayRemoteCommand("exec-notfound.pcap", { stdin: false, stdout: true, stderr: true, tty: false });
  const theirs = await theirAnswer("exec-notfound.pcap");
  const theirStatus = (theirs.find((f) => f.startsWith('DATA 1 "{')) as string).slice("DATA 1 ".length);
  const cause = JSON.parse(JSON.parse(theirStatus)).details.causes[0].message as string;
  await session.finish({ kind: "error", message: cause });
  socket.push(null);
  await within(session.closed, 3000, "closed");
  const { frames } = await answer(socket);
  expect(frames).toContain(`DATA 1 ${theirStatus}`);
});

test("attach: stdin FIN reaches the session; the answer matches containerd's but for FIN instead of RST on error", async () => {
  const { session, socket } = await replayRemoteCommand("attach.pcap", { stdin: true, stdout: true, stderr: true, tty: false });
  const theirs = await theirAnswer("attach.pcap");
  for (const f of theirs.filter((x) => x.startsWith('DATA 5 "'))) session.stdout?.write(JSON.parse(f.slice("DATA 5 ".length)));
  expect((await readAll(session.stdin as SpdyStream)).toString()).toBe("hi\n");
  await session.finish({ kind: "exited", exitCode: 0 });
  socket.push(null);
  await within(session.closed, 3000, "closed");
  expect((await answer(socket)).frames).toEqual(theirs.map((f) => (f === "RST 1 5" ? "DATA 1 FIN" : f)));
});

test("portforward: a pair by requestid, the request through, FIN both ways as containerd did", async () => {
  const { request, live, teardown } = clientBytes("portforward.pcap");
  const socket = new FakeSocket();
  const session = upgradeSpdyPortForward(requestFromHead(request), socket, Buffer.alloc(0), TIMEOUTS);
  if (!session) throw new Error("refused");
  const streams: Array<{ port: number; data: SpdyStream; done(): void }> = [];
  session.onStream((s) => streams.push(s as unknown as (typeof streams)[number]));
  await socket.feed(live, 7);
  await until(() => streams.length === 1);
  const [stream] = streams as [(typeof streams)[number]];
  expect(stream.port).toBe(80);
  expect(stream.data.headers.get("requestid")).toBe("0");
  expect((await readAll(stream.data)).toString()).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
  const theirs = await theirAnswer("portforward.pcap");
  // The pod's answer, in the two writes the capture shows.
  for (const f of theirs.filter((x) => x.startsWith('DATA 3 "'))) stream.data.write(JSON.parse(f.slice("DATA 3 ".length)));
  stream.done();
  await until(() => socket.written.length >= 7);
  expect((await answer(socket)).frames).toEqual(theirs);
  // client-go's GOAWAY when it is done: we close (containerd only closed TCP; we add our GOAWAY).
  await socket.feed(teardown, 7);
  socket.push(null);
  await within(session.closed, 3000, "closed");
  expect((await answer(socket)).frames).toEqual([...theirs, "GOAWAY 3 0"]);
});

test("portforward-error: fail() answers exactly as containerd did", async () => {
  const { request, live } = clientBytes("portforward-error.pcap");
  const socket = new FakeSocket();
  const session = upgradeSpdyPortForward(requestFromHead(request), socket, Buffer.alloc(0), TIMEOUTS);
  if (!session) throw new Error("refused");
  const frames = splitFrames(live);
  const streams: Array<{ port: number; fail(m: string): void }> = [];
  session.onStream((s) => streams.push(s));
  await socket.feed(Buffer.concat(frames.slice(0, 3)), 7); // SYN 1, FIN 1, SYN 3: the client's GET comes after our answer
  await until(() => streams.length === 1);
  expect(streams[0]?.port).toBe(81);
  const theirs = await theirAnswer("portforward-error.pcap");
  const message = JSON.parse((theirs.find((f) => f.startsWith('DATA 1 "')) as string).slice("DATA 1 ".length)) as string;
  streams[0]?.fail(message);
  await until(() => socket.written.length >= 6);
  expect((await answer(socket)).frames).toEqual(theirs);
  session.close();
  socket.push(null);
  await within(session.closed, 3000, "closed");
});

test("exec-large-output: Go's 32 KiB frames and its own header blocks, read by our client side", async () => {
  const { serverFrames } = spdyCapture("exec-large-output.pcap");
  const socket = new FakeSocket();
  const client = new SpdyConnection(socket, { role: "client" });
  const opened = ["error", "stdout", "stderr"].map((streamtype) => client.openStream({ streamtype }));
  await socket.feed(serverFrames, 4096);
  const [error, stdout, stderr] = await Promise.all(opened);
  const [out, err, status] = await Promise.all([
    readAll(stdout as SpdyStream),
    readAll(stderr as SpdyStream),
    readAll(error as SpdyStream),
  ]);
  expect(out.length).toBe(200_000);
  expect(err.length).toBe(0);
  expect(JSON.parse(status.toString())).toEqual({ metadata: {}, status: "Success" });
  socket.push(null);
  await within(client.closed, 3000, "closed");
});
