import { once } from "node:events";
import { type AddressInfo, createServer, type Server, connect as tcpConnect } from "node:net";
import { WebSocket } from "ws";
import { WsHandshakeError, wsPortForward } from "../../testkit/src/streaming/ws-client";
import type { PortForwardSession, PortForwardStream, StreamTimeouts } from "../src/session";
import { upgradeWebSocketPortForward } from "../src/websocket/portforward";
import { deferred, delay, UpgradeServer, within } from "./ws-harness";

const server = new UpgradeServer();
const timeouts: StreamTimeouts = { streamCreationMs: 30_000, idleMs: 60_000 };

// The "pod": answers one line upper-cased and hangs up.
const pod: Server = createServer((socket) => {
  socket.once("data", (chunk: Buffer) => socket.end(chunk.toString().toUpperCase()));
  socket.on("error", () => {});
});
let podPort = 0;
let closedPort = 0;

beforeAll(async () => {
  await server.start();
  pod.listen(0, "127.0.0.1");
  await once(pod, "listening");
  podPort = (pod.address() as AddressInfo).port;
  // A port nobody listens on: bind one, note it, close it.
  const gone = createServer().listen(0, "127.0.0.1");
  await once(gone, "listening");
  closedPort = (gone.address() as AddressInfo).port;
  await new Promise((r) => gone.close(r));
});
afterAll(async () => {
  await server.stop();
  await new Promise((r) => pod.close(r));
});

/** What the streaming server does with a stream: dial the port, copy both ways, report how it ended. */
function forward(stream: PortForwardStream): void {
  const tcp = tcpConnect(stream.port, "127.0.0.1");
  stream.data.pipe(tcp);
  tcp.pipe(stream.data);
  tcp.on("error", (err) => stream.fail(`error forwarding port ${stream.port} to pod: ${err.message}`));
  tcp.on("close", (hadError) => {
    if (!hadError) stream.done();
  });
}

function serve(ports: readonly number[], onSession: (s: PortForwardSession) => void = (s) => s.onStream(forward)) {
  const sessions: Array<Promise<PortForwardSession | undefined>> = [];
  server.handler = (req, socket, head) => {
    const session = upgradeWebSocketPortForward(req, socket, head, ports, timeouts);
    sessions.push(session);
    void session.then((s) => s && onSession(s));
  };
  return sessions;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe("WebSocket port-forward", () => {
  it("announces each port on both channels as a little-endian uint16", async () => {
    const sessions = serve([80, 8080], () => {});
    const ws = new WebSocket(server.url("/portforward/x").replace("http", "ws"), ["v4.channel.k8s.io"]);
    const messages: string[] = [];
    ws.on("message", (m: Buffer) => messages.push(m.toString("hex")));
    await once(ws, "open");
    for (let i = 0; i < 20 && messages.length < 4; i++) await delay(10);
    expect(messages).toEqual(["005000", "015000", "02901f", "03901f"]);
    ws.close();
    const session = (await sessions[0]) as PortForwardSession;
    await within(session.closed, 3000, "closed");
  });

  it.each([["v4.channel.k8s.io"], ["v4.base64.channel.k8s.io"], ["portforward.k8s.io"], [""]])(
    "forwards to an echo server over %p; a failed port reports plain text; the session ends with its pairs",
    async (protocol) => {
      const sessions = serve([podPort, closedPort]);
      const conn = await wsPortForward(server.url("/portforward/x"), [podPort, closedPort], { protocols: protocol ? [protocol] : [] });
      expect(conn.streams.map((s) => s.port)).toEqual([podPort, closedPort]);
      const [ok, refused] = conn.streams as [(typeof conn.streams)[0], (typeof conn.streams)[0]];
      ok.data.write("ping\n");
      expect(await readAll(ok.data)).toBe("PING\n");
      // Both pairs are over (one done, one failed), so the server closes without being asked.
      await within(conn.closed, 3000, "client closed");
      expect(await ok.error).toBe("");
      expect(await refused.error).toMatch(new RegExp(`^error forwarding port ${closedPort} to pod: connect ECONNREFUSED`));
      await within((await sessions[0])!.closed, 3000, "session closed");
    },
  );

  it("ends the client's input soon after the pod side finished, since WebSocket cannot half-close", async () => {
    // A backend that waits for both directions to end before done(), with the pipe into the pod torn down early.
    serve([podPort], (s) =>
      s.onStream((stream) => {
        const tcp = tcpConnect(stream.port, "127.0.0.1");
        stream.data.pipe(tcp);
        tcp.pipe(stream.data);
        const ended = (e: NodeJS.EventEmitter) => new Promise((r) => e.once("end", r).once("close", r));
        void Promise.all([ended(tcp), ended(stream.data)]).then(() => stream.done());
      }),
    );
    const conn = await wsPortForward(server.url("/portforward/x"), [podPort]);
    const start = Date.now();
    conn.streams[0]!.data.write("bye\n");
    expect(await readAll(conn.streams[0]!.data)).toBe("BYE\n");
    await within(conn.closed, 3000, "client closed");
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
  });

  it("keeps the streams for a listener that registers late", async () => {
    const seen = deferred<number[]>();
    serve([podPort], (s) => {
      setTimeout(() => {
        const ports: number[] = [];
        s.onStream((stream) => {
          ports.push(stream.port);
          forward(stream);
        });
        seen.resolve(ports);
      }, 50);
    });
    const conn = await wsPortForward(server.url("/portforward/x"), [podPort]);
    conn.streams[0]!.data.write("late\n");
    expect(await readAll(conn.streams[0]!.data)).toBe("LATE\n");
    expect(await seen.promise).toEqual([podPort]);
  });

  it("close() from the server ends the client's streams", async () => {
    const session = deferred<PortForwardSession>();
    serve([podPort], (s) => session.resolve(s));
    const conn = await wsPortForward(server.url("/portforward/x"), [podPort]);
    const s = await session.promise;
    s.close();
    await within(conn.closed, 3000, "client closed");
    expect(await readAll(conn.streams[0]!.data)).toBe("");
    await within(s.closed, 3000, "session closed");
  });

  it("the pod side sees EOF when the client goes away", async () => {
    const stream = deferred<PortForwardStream>();
    const sessions = serve([podPort], (s) => s.onStream((st) => stream.resolve(st)));
    const conn = await wsPortForward(server.url("/portforward/x"), [podPort]);
    const st = await stream.promise;
    const ended = readAll(st.data);
    conn.streams[0]!.data.write("partial");
    await delay(20);
    conn.close();
    expect(await within(ended, 3000, "EOF")).toBe("partial");
    await within((await sessions[0])!.closed, 3000, "closed");
    st.data.write("into the void");
    st.done();
  });

  it("refuses v5 (exec only) with 403, and a bad port list with 400", async () => {
    serve([podPort]);
    await expect(wsPortForward(server.url("/portforward/x"), [podPort], { protocols: ["v5.channel.k8s.io"] })).rejects.toEqual(
      new WsHandshakeError(403, ""),
    );
    const sessions = serve([0]);
    await expect(wsPortForward(server.url("/portforward/x"), [0])).rejects.toEqual(new WsHandshakeError(400, ""));
    expect(await sessions[0]).toBeUndefined();
  });

  it("drops data the client sends on an error channel or beyond the ports", async () => {
    const received = deferred<string>();
    serve([podPort], (s) => s.onStream((st) => st.data.once("data", (c: Buffer) => received.resolve(c.toString()))));
    const ws = new WebSocket(server.url("/portforward/x").replace("http", "ws"), ["v4.channel.k8s.io"]);
    await once(ws, "open");
    ws.send(Buffer.from([1, 0x61]));
    ws.send(Buffer.from([9, 0x62]));
    ws.send(Buffer.from([0, 0x63]));
    expect(await received.promise).toBe("c");
    ws.close();
  });
});
