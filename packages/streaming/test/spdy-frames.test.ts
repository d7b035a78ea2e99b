import { createHash } from "node:crypto";
import { SPDY3_DICTIONARY } from "../src/spdy/dictionary";
import { encodeFrame, type Frame, FrameParser, MAX_FRAME_LENGTH, SpdyProtocolError } from "../src/spdy/frames";
import { spdyCapture } from "./spdy-fixtures";

test("the SPDY/3 dictionary is the 1423 bytes of the spec", () => {
  expect(SPDY3_DICTIONARY.length).toBe(1423);
  expect(createHash("sha256").update(SPDY3_DICTIONARY).digest("hex")).toBe(
    "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02",
  );
  expect(SPDY3_DICTIONARY.subarray(0, 11).toString("hex")).toBe("000000076f7074696f6e73");
  expect(SPDY3_DICTIONARY.subarray(-6).toString("latin1")).toBe("enq=0.");
});

const block = Buffer.from("78f9e3c6a7c2", "hex");
const samples: Frame[] = [
  { type: "data", streamId: 3, fin: false, data: Buffer.from("hello\n") },
  { type: "data", streamId: 0x7fffffff, fin: true, data: Buffer.alloc(0) },
  { type: "syn_stream", streamId: 1, associatedStreamId: 0, priority: 0, slot: 0, fin: false, unidirectional: false, headerBlock: block },
  { type: "syn_stream", streamId: 5, associatedStreamId: 2, priority: 7, slot: 3, fin: true, unidirectional: true, headerBlock: block },
  { type: "syn_reply", streamId: 1, fin: false, headerBlock: block },
  { type: "rst_stream", streamId: 3, status: 5 },
  { type: "settings", clear: true, entries: [{ id: 7, flags: 1, value: 65536 }] },
  { type: "ping", id: 1 },
  { type: "goaway", lastGoodStreamId: 7, status: 0 },
  { type: "headers", streamId: 9, fin: true, headerBlock: block },
  { type: "window_update", streamId: 0, delta: 1000 },
];

test("every frame type survives encoding and parsing, whatever the split", () => {
  const bytes = Buffer.concat(samples.map(encodeFrame));
  for (const size of [1, 2, 3, 7, 8, 13, bytes.length]) {
    const parser = new FrameParser();
    const frames: Frame[] = [];
    for (let at = 0; at < bytes.length; at += size) {
      const { frames: got, error } = parser.push(bytes.subarray(at, at + size));
      expect(error).toBeUndefined();
      frames.push(...got);
    }
    expect(frames).toEqual(samples);
  }
});

test("encodings match the captured bytes", () => {
  expect(encodeFrame({ type: "rst_stream", streamId: 1, status: 5 }).toString("hex")).toBe("80030003000000080000000100000005");
  expect(encodeFrame({ type: "goaway", lastGoodStreamId: 7, status: 0 }).toString("hex")).toBe("80030007000000080000000700000000");
  expect(encodeFrame({ type: "ping", id: 1 }).toString("hex")).toBe("800300060000000400000001");
  expect(encodeFrame({ type: "data", streamId: 5, fin: true, data: Buffer.alloc(0) }).toString("hex")).toBe("0000000501000000");
  const reply = encodeFrame({
    type: "syn_reply",
    streamId: 1,
    fin: false,
    headerBlock: Buffer.from("78f9e3c6a7c26260606000000000ffff", "hex"),
  });
  expect(reply.subarray(0, 16).toString("hex")).toBe("80030002000000140000000178f9e3c6");
});

test("the client half of exec-stdin parses into the transcript's frames", () => {
  const { clientFrames } = spdyCapture("exec-stdin.pcap");
  const parser = new FrameParser();
  const frames: Frame[] = [];
  for (let at = 0; at < clientFrames.length; at += 7) frames.push(...parser.push(clientFrames.subarray(at, at + 7)).frames);
  expect(frames.map((f) => `${f.type}${"streamId" in f ? ` ${f.streamId}` : ""}`)).toEqual([
    "syn_stream 1",
    "syn_stream 3",
    "syn_stream 5",
    "syn_stream 7",
    "data 3",
    "data 3",
    "rst_stream 5",
    "rst_stream 7",
    "goaway",
  ]);
  expect(frames[4]).toMatchObject({ data: Buffer.from("hello\n"), fin: false });
  expect(frames[5]).toMatchObject({ data: Buffer.alloc(0), fin: true });
});

const hex = (s: string) => Buffer.from(s.replace(/ /g, ""), "hex");

test.each([
  ["an HTTP request instead of frames", Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
  ["SPDY version 2", hex("8002 0001 00 00000a 00000001 00000000 0000")],
  ["DATA for stream 0", hex("00000000 00 000000")],
  ["DATA with flags other than FIN", hex("00000001 02 000000")],
  ["SYN_STREAM with an unknown flag", hex("8003 0001 04 00000a 00000001 00000000 0000")],
  ["SYN_STREAM for stream 0", hex("8003 0001 00 00000a 00000000 00000000 0000")],
  ["SYN_STREAM too short", hex("8003 0001 00 000004 00000001")],
  ["RST_STREAM of the wrong length", hex("8003 0003 00 000004 00000001")],
  ["RST_STREAM with status 0", hex("8003 0003 00 000008 00000001 00000000")],
  ["PING with id 0", hex("8003 0006 00 000004 00000000")],
  ["PING with flags", hex("8003 0006 01 000004 00000001")],
  ["GOAWAY of the wrong length", hex("8003 0007 00 000004 00000000")],
  ["SETTINGS whose count does not match", hex("8003 0004 00 00000c 00000002 01000007 00010000")],
])("rejects %s", (_what, bytes) => {
  const parser = new FrameParser();
  const { frames, error } = parser.push(bytes);
  expect(frames).toEqual([]);
  expect(error).toBeInstanceOf(SpdyProtocolError);
  // Once broken, always broken.
  expect(parser.push(encodeFrame({ type: "ping", id: 1 })).error).toBe(error);
});

test("a bad header fails at once, before its body arrives", () => {
  expect(new FrameParser().push(hex("8002 0001 00 ffffff")).error).toBeInstanceOf(SpdyProtocolError);
});

test("frames before the garbage are kept; unknown control types are skipped", () => {
  const unknown = hex("8003 000a 00 000004 01020304"); // CREDENTIAL: not used here, ignored
  const ping = encodeFrame({ type: "ping", id: 3 });
  const { frames, error } = new FrameParser().push(Buffer.concat([ping, unknown, ping, Buffer.from("garbage!")]));
  expect(frames).toEqual([
    { type: "ping", id: 3 },
    { type: "ping", id: 3 },
  ]);
  expect(error).toBeInstanceOf(SpdyProtocolError);
});

test("a frame body may use the whole 24-bit length, and no more", () => {
  const big = Buffer.alloc(MAX_FRAME_LENGTH);
  const frame = encodeFrame({ type: "data", streamId: 1, fin: false, data: big });
  expect(frame.length).toBe(8 + MAX_FRAME_LENGTH);
  const { frames } = new FrameParser().push(frame);
  expect(frames[0]).toMatchObject({ type: "data", streamId: 1 });
  expect(() => encodeFrame({ type: "data", streamId: 1, fin: false, data: Buffer.alloc(MAX_FRAME_LENGTH + 1) })).toThrow(RangeError);
  expect(() => encodeFrame({ type: "rst_stream", streamId: 2 ** 31, status: 5 })).toThrow(RangeError);
});
