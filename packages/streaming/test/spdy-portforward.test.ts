import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { connectSpdy, spdyPortForward } from "../../testkit/src/streaming/spdy-client";
import type { PortForwardSession, PortForwardStream, StreamTimeouts } from "../src/session";
import { upgradeSpdyPortForward } from "../src/spdy/portforward";
import type { SpdyStream } from "../src/spdy/stream";
import { readAll, until, upgradeServer, within } from "./spdy-harness";

/** port-forward over real sockets, with the testkit's client-go-like client. */

let url = "";
let server: Server;
let handler: { current: (req: IncomingMessage, socket: Duplex, head: Buffer) => void };
let timeouts: StreamTimeouts;
let sessions: PortForwardSession[];

/** Every stream to port 81 is refused; any other port echoes, upper-cased, until the client's FIN. */
function servePod(): void {
  handler.current = (req, socket, head) => {
    const session = upgradeSpdyPortForward(req, socket, head, timeouts);
    if (!session) return;
    sessions.push(session);
    session.onStream((stream: PortForwardStream) => {
      if (stream.port === 81) return stream.fail(`error forwarding port 81 to pod x, uid : connection refused`);
      stream.data.on("data", (chunk: Buffer) => stream.data.write(chunk.toString().toUpperCase()));
      stream.data.on("end", () => stream.done());
    });
  };
}

beforeAll(async () => {
  ({ url, server, handler } = await upgradeServer());
});
beforeEach(() => {
  timeouts = { streamCreationMs: 5000, idleMs: 60_000 };
  sessions = [];
  servePod();
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

async function roundTrip(data: Duplex, text: string): Promise<string> {
  const reply = readAll(data);
  data.end(text);
  return (await reply).toString();
}

test("many forwarded connections over one SPDY connection, each its own stream pair", async () => {
  const pf = await spdyPortForward(`${url}/portforward/x`);
  const replies = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const { data, error } = await pf.connect(8080);
      const reply = await roundTrip(data, `hello ${i}`);
      return { reply, error: await error };
    }),
  );
  replies.forEach((r, i) => {
    expect(r).toEqual({ reply: `HELLO ${i}`, error: "" });
  });
  await pf.close();
  await within(sessions[0]?.closed ?? Promise.reject(new Error("no session")), 3000, "session closed");
});

test("a refused port: data ends and the error stream carries the plain-text message", async () => {
  const pf = await spdyPortForward(`${url}/portforward/x`);
  const { data, error } = await pf.connect(81);
  expect((await readAll(data)).length).toBe(0);
  expect(await error).toBe("error forwarding port 81 to pod x, uid : connection refused");
  // The connection stays usable for other ports.
  const ok = await pf.connect(80);
  expect(await roundTrip(ok.data, "still there")).toBe("STILL THERE");
  await pf.close();
});

test("streams with a bad port or stream type are reset", async () => {
  const { connection } = await connectSpdy(`${url}/portforward/x`, ["portforward.k8s.io"]);
  for (const headers of [
    { streamtype: "data", port: "0", requestid: "1" },
    { streamtype: "data", port: "65536", requestid: "1" },
    { streamtype: "data", port: "http", requestid: "1" },
    { streamtype: "data", requestid: "1" },
    { streamtype: "stdin", port: "80", requestid: "1" },
    { port: "80", requestid: "1" },
  ]) {
    await expect(connection.openStream(headers)).rejects.toThrow(/reset by the peer/);
  }
  await connection.close();
});

test("a second stream of the same type for one request is refused and reported on the pair's error stream", async () => {
  const { connection } = await connectSpdy(`${url}/portforward/x`, ["portforward.k8s.io"]);
  const error = await connection.openStream({ streamtype: "error", port: "80", requestid: "5" });
  error.end();
  const text = readAll(error);
  await expect(connection.openStream({ streamtype: "error", port: "80", requestid: "5" })).rejects.toThrow(/reset/);
  await connection.close();
  expect((await text).toString()).toBe("error processing stream for request 5: error stream already assigned");
});

test("half a pair times out with a message on its error stream", async () => {
  timeouts = { streamCreationMs: 150, idleMs: 60_000 };
  const { connection } = await connectSpdy(`${url}/portforward/x`, ["portforward.k8s.io"]);
  const error = await connection.openStream({ streamtype: "error", port: "80", requestid: "0" });
  error.end();
  const text = (await within(readAll(error), 2000, "error stream end")).toString();
  expect(text).toMatch(/^\(conn=127\.0\.0\.1:\d+, request=0\) timed out waiting for streams$/);
  const data = await connection.openStream({ streamtype: "data", port: "80", requestid: "1" });
  await within(new Promise((resolve) => data.once("end", resolve).resume()), 2000, "lone data stream reset");
  expect(data.isReset).toBe(true);
  await connection.close();
});

test("without requestid, pairs are made from the stream ids (error n, data n+2)", async () => {
  const { connection } = await connectSpdy(`${url}/portforward/x`, ["portforward.k8s.io"]);
  const error = await connection.openStream({ streamtype: "error", port: "80" });
  error.end();
  const data = await connection.openStream({ streamtype: "data", port: "80" });
  expect([error.id, data.id]).toEqual([1, 3]);
  expect(await roundTrip(data, "old client")).toBe("OLD CLIENT");
  await connection.close();
});

test("the client's GOAWAY ends the session once its streams are done; close() ends it at once", async () => {
  const pf = await spdyPortForward(`${url}/portforward/x`);
  const { data } = await pf.connect(80);
  await roundTrip(data, "x");
  await pf.close();
  await within(sessions[0]?.closed ?? Promise.reject(new Error("no session")), 3000, "closed after GOAWAY");

  const other = await spdyPortForward(`${url}/portforward/x`);
  const open = await other.connect(80);
  const ended = readAll(open.data);
  await until(() => sessions.length === 2);
  sessions[1]?.close();
  await within(other.connection.closed, 3000, "client sees the close");
  await ended;
  expect((open.data as SpdyStream).isReset).toBe(true);
});

test("garbage on a port-forward connection closes it", async () => {
  const { connection } = await connectSpdy(`${url}/portforward/x`, ["portforward.k8s.io"]);
  await until(() => sessions.length === 1);
  connection["socket"].write("garbage garbage garbage");
  await within(sessions[0]?.closed ?? Promise.reject(new Error("no session")), 3000, "closed");
  await within(connection.closed, 3000, "client closed");
});
