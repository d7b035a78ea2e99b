import { ResizeDecoder } from "../src/resize";
import { encodeStatus, statusObject } from "../src/status";
import { decodeFrame, encodeCloseSignal, encodeFrame } from "../src/websocket/channels";
import { capturedErrorStreamData, capturedFrames } from "./ws-fixtures";

const v4 = { encoding: "binary", closeSignals: false } as const;
const v5 = { encoding: "binary", closeSignals: true } as const;
const b64 = { encoding: "base64", closeSignals: false } as const;

describe("binary channel framing (ws-exec-v4.txt)", () => {
  const frames = capturedFrames("ws-exec-v4.txt").filter((f) => f.opcode === "BINARY");

  it("encodes the captured server frames byte for byte", () => {
    expect(frames.map((f) => f.payload.toString("hex")).slice(0, 3)).toEqual([
      encodeFrame("binary", 1, Buffer.alloc(0)).toString("hex"),
      (encodeFrame("binary", 1, Buffer.from("out\n")) as Buffer).toString("hex"),
      (encodeFrame("binary", 2, Buffer.from("err\n")) as Buffer).toString("hex"),
    ]);
  });

  it("decodes the captured status frame on the error channel", () => {
    const status = frames[3]?.payload as Buffer;
    const frame = decodeFrame(v4, status, true);
    expect(frame).toMatchObject({ kind: "data", channel: 3 });
    const parsed = JSON.parse((frame as { payload: Buffer }).payload.toString());
    expect(parsed).toMatchObject({
      status: "Failure",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    });
  });
});

describe("base64 channel framing (ws-exec-v4-base64-tty.txt)", () => {
  const frames = capturedFrames("ws-exec-v4-base64-tty.txt").filter((f) => f.opcode === "TEXT");

  it("round-trips every captured frame in both directions", () => {
    expect(frames.length).toBeGreaterThan(10);
    for (const f of frames) {
      const decoded = decodeFrame(b64, f.payload, false);
      expect(decoded.kind).toBe("data");
      const { channel, payload } = decoded as { channel: number; payload: Buffer };
      expect(encodeFrame("base64", channel, payload)).toBe(f.payload.toString("latin1"));
    }
  });

  it("reads the initial message, resize, stdin, stdout and the status", () => {
    const text = frames.map((f) => decodeFrame(b64, f.payload, false) as { channel: number; payload: Buffer });
    expect(text[0]).toEqual({ kind: "data", channel: 1, payload: Buffer.alloc(0) });
    const resize = text.find((f) => f.channel === 4);
    expect(resize?.payload.toString()).toBe('{"Width":100,"Height":30}');
    expect(text.filter((f) => f.channel === 0).map((f) => f.payload.toString())).toEqual(["stty size\r", "exit 0\r"]);
    expect(text.some((f) => f.channel === 1 && f.payload.toString() === "30 100\r\n")).toBe(true);
    expect(text.at(-1)).toEqual({ kind: "data", channel: 3, payload: Buffer.from('{"metadata":{},"status":"Success"}') });
  });
});

describe("decodeFrame", () => {
  it("treats [255, ch] as a close signal only under v5, and exactly 2 bytes", () => {
    expect(decodeFrame(v5, encodeCloseSignal(0), true)).toEqual({ kind: "close", channel: 0 });
    expect(decodeFrame(v4, encodeCloseSignal(0), true)).toEqual({ kind: "data", channel: 255, payload: Buffer.from([0]) });
    expect(decodeFrame(v5, Buffer.from([255]), true).kind).toBe("invalid");
    expect(decodeFrame(v5, Buffer.from([255, 0, 0]), true).kind).toBe("invalid");
  });

  it("rejects the wrong message type and bad base64, and skips empty messages", () => {
    expect(decodeFrame(v4, Buffer.from("1abc"), false).kind).toBe("invalid");
    expect(decodeFrame(b64, Buffer.from([1, 2]), true).kind).toBe("invalid");
    expect(decodeFrame(b64, Buffer.from("0abc"), false).kind).toBe("invalid");
    expect(decodeFrame(b64, Buffer.from("0YWJ"), false).kind).toBe("invalid");
    expect(decodeFrame(b64, Buffer.from("0YQ"), false).kind).toBe("invalid");
    expect(decodeFrame(b64, Buffer.from("0YWJj\r\nZA=="), false)).toEqual({ kind: "data", channel: 0, payload: Buffer.from("abcd") });
    expect(decodeFrame(b64, Buffer.from("\u0010YQ=="), false).kind).toBe("invalid");
    expect(decodeFrame(b64, Buffer.from("0YQ=="), false)).toEqual({ kind: "data", channel: 0, payload: Buffer.from("a") });
    expect(decodeFrame(v4, Buffer.alloc(0), true)).toEqual({ kind: "empty" });
    expect(decodeFrame(b64, Buffer.alloc(0), false)).toEqual({ kind: "empty" });
  });

  it("refuses channels the framing cannot carry", () => {
    expect(() => encodeFrame("binary", 255, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => encodeFrame("base64", 80, Buffer.alloc(0))).toThrow(RangeError);
    expect(encodeFrame("base64", 79, Buffer.from("x"))).toBe("\u007feA==");
  });
});

describe("error channel status", () => {
  it("writes Success as containerd does", () => {
    expect(encodeStatus({ kind: "exited", exitCode: 0 }, "v4")?.toString()).toBe('{"metadata":{},"status":"Success"}');
    expect(encodeStatus({ kind: "exited", exitCode: 0 }, "v1")).toBeUndefined();
  });

  it("shapes NonZeroExitCode like the capture (keys, order, cause)", () => {
    const captured = JSON.parse(capturedErrorStreamData("exec-nonzero.txt").toString());
    const ours = JSON.parse(encodeStatus({ kind: "exited", exitCode: 3 }, "v4")?.toString() ?? "");
    expect(Object.keys(ours)).toEqual(Object.keys(captured));
    expect({ ...ours, message: "" }).toEqual({ ...captured, message: "" });
    expect(ours.message).toMatch(/^command terminated with non-zero exit code: /);
  });

  it("writes InternalError byte for byte as exec-notfound.txt, Go escapes included", () => {
    const captured = capturedErrorStreamData("exec-notfound.txt");
    const cause = JSON.parse(captured.toString()).details.causes[0].message as string;
    expect(encodeStatus({ kind: "error", message: cause }, "v4")?.equals(captured)).toBe(true);
    expect(JSON.stringify(statusObject({ kind: "error", message: "<&>" }))).toContain("<&>");
    expect(encodeStatus({ kind: "error", message: "<&>" }, "v4")?.toString()).toContain("\\u003c\\u0026\\u003e");
  });

  it("writes plain text for v1 failures", () => {
    expect(encodeStatus({ kind: "error", message: "boom" }, "v1")?.toString()).toBe("Internal error occurred: boom");
    expect(encodeStatus({ kind: "exited", exitCode: 2 }, "v1")?.toString()).toMatch(/non-zero exit code/);
  });
});

describe("ResizeDecoder", () => {
  it("splits a stream of TerminalSize objects however it is chunked", () => {
    const d = new ResizeDecoder();
    expect(d.push(Buffer.from('{"Width":80,"Hei'))).toEqual([]);
    expect(d.push(Buffer.from('ght":24}\n{"Width":100,"Height":30}{"width" : 1 ,\n "height":2}  '))).toEqual([
      { width: 80, height: 24 },
      { width: 100, height: 30 },
      { width: 1, height: 2 },
    ]);
    expect(d.push(Buffer.from('{"Width":5,"Extra":{"a":"}"}}'))).toEqual([{ width: 5, height: 0 }]);
  });

  it("gives up for good on garbage, as the kubelet does", () => {
    const d = new ResizeDecoder();
    expect(d.push(Buffer.from('{"Width":70000,"Height":1}'))).toEqual([]);
    expect(d.failed).toBe(true);
    expect(d.push(Buffer.from('{"Width":1,"Height":1}'))).toEqual([]);
    const e = new ResizeDecoder();
    expect(e.push(Buffer.from("[1,2]"))).toEqual([]);
    expect(e.failed).toBe(true);
  });
});
