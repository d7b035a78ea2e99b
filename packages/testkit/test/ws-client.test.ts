import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { WsHandshakeError, wsPortForward, wsRemoteCommand } from "../src/streaming/ws-client";

// A hand-written fake server per test, so the client is checked against the wire format alone.
type Script = (ws: WebSocket, req: IncomingMessage) => void;
let script: Script = (ws) => ws.close();
let refuse: number | undefined;

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => [...offered][0] ?? false });
const http = createServer();
http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  if (refuse !== undefined) {
    socket.end(`HTTP/1.1 ${refuse} Forbidden\r\n\r\n`);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => script(ws, req));
});
let url = "";

beforeAll(async () => {
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterEach(() => {
  refuse = undefined;
});
afterAll(async () => {
  wss.close();
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

const bin = (channel: number, text: string | Buffer): Buffer => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
const b64 = (channel: number, text: string): string => `${channel}${Buffer.from(text).toString("base64")}`;

describe("wsRemoteCommand", () => {
  it("speaks base64 text frames and reads the exit code from a v4 status", async () => {
    const sent: string[] = [];
    script = (ws) => {
      ws.send("1");
      ws.on("message", (m: RawData) => {
        sent.push(m.toString());
        ws.send(b64(1, "hi"));
        ws.send(b64(2, "oops"));
        ws.send(
          b64(
            3,
            JSON.stringify({
              metadata: {},
              status: "Failure",
              message: "x",
              reason: "NonZeroExitCode",
              details: { causes: [{ reason: "ExitCode", message: "7" }] },
            }),
          ),
        );
        ws.close(1000);
      });
    };
    const r = await wsRemoteCommand(url, { protocols: ["v4.base64.channel.k8s.io"], stdin: "in" });
    expect(sent).toEqual([b64(0, "in")]);
    expect(r).toMatchObject({ protocol: "v4.base64.channel.k8s.io", exitCode: 7, closeCode: 1000 });
    expect(r.stdout.toString()).toBe("hi");
    expect(r.stderr.toString()).toBe("oops");
    expect(r.frames[0]).toEqual({ channel: 1, payload: Buffer.alloc(0) });
  });

  it("under v5 sends resize, stdin and the stdin close signal, and decodes the server's close signals", async () => {
    const sent: string[] = [];
    script = (ws) => {
      ws.on("message", (m: Buffer) => {
        sent.push(m.toString("hex"));
        if (m.equals(Buffer.from([255, 0]))) {
          ws.send(bin(1, "done"));
          ws.send(Buffer.from([255, 1]));
          ws.send(bin(3, '{"metadata":{},"status":"Success"}'));
          ws.close(1000);
        }
      });
    };
    const r = await wsRemoteCommand(url, { tty: true, stdin: "x", closeStdin: true });
    expect(r.protocol).toBe("v5.channel.k8s.io");
    expect(sent).toEqual([bin(4, '{"Width":80,"Height":24}').toString("hex"), "0078", "ff00"]);
    expect(r.frames).toEqual([{ channel: 1, payload: Buffer.from("done") }, { closeSignal: 1 }, expect.objectContaining({ channel: 3 })]);
    expect(r.exitCode).toBe(0);
    expect(r.status).toEqual({ metadata: {}, status: "Success" });
  });

  it("keeps v1 error text as the status, with no exit code", async () => {
    script = (ws) => {
      ws.send(bin(3, "it broke"));
      ws.close(1000);
    };
    const r = await wsRemoteCommand(url, { protocols: ["channel.k8s.io"] });
    expect(r.status).toBe("it broke");
    expect(r.exitCode).toBeUndefined();
  });

  it("rejects with the status code when the handshake is refused", async () => {
    refuse = 403;
    await expect(wsRemoteCommand(url, { protocols: ["v5.channel.k8s.io"] })).rejects.toEqual(new WsHandshakeError(403, ""));
  });
});

describe("wsPortForward", () => {
  it("waits for the port announcements, strips them and carries data and errors", async () => {
    script = (ws) => {
      ws.send(Buffer.from([0, 0x50, 0]));
      ws.send(Buffer.from([1, 0x50, 0]));
      ws.send(Buffer.from([2, 0x51, 0]));
      ws.send(Buffer.from([3, 0x51, 0]));
      ws.on("message", (m: Buffer) => {
        ws.send(bin(0, Buffer.from(m.subarray(1).toString().toUpperCase())));
        ws.send(bin(3, "no route"));
        setTimeout(() => ws.close(1000), 20);
      });
    };
    const conn = await wsPortForward(url, [80, 81]);
    expect(conn.streams.map((s) => s.port)).toEqual([80, 81]);
    conn.streams[0]!.data.write("abc");
    const [chunk] = await once(conn.streams[0]!.data, "data");
    expect(chunk.toString()).toBe("ABC");
    await conn.closed;
    expect(await conn.streams[0]!.error).toBe("");
    expect(await conn.streams[1]!.error).toBe("no route");
  });

  it("rejects a wrong announcement", async () => {
    script = (ws) => {
      ws.send(Buffer.from([0, 0x51, 0]));
      ws.send(Buffer.from([1, 0x50, 0]));
    };
    await expect(wsPortForward(url, [80])).rejects.toThrow(/announced port 81, expected 80/);
  });
});
