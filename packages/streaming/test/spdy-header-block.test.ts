import { SpdyProtocolError } from "../src/spdy/frames";
import { decodeHeaderBlock, encodeHeaderBlock, HeaderCompressor, HeaderDecompressor } from "../src/spdy/header-block";
import { compressedBlocks, listedHeaders } from "./spdy-fixtures";

test("the uncompressed layout: 32-bit counts and lengths, lower-case names, values joined by NUL", () => {
  const block = encodeHeaderBlock({ StreamType: "error", multi: ["a", "b"] });
  expect(block.toString("hex")).toBe(
    [
      "00000002",
      "0000000a",
      Buffer.from("streamtype").toString("hex"),
      "00000005",
      Buffer.from("error").toString("hex"),
      "00000005",
      Buffer.from("multi").toString("hex"),
      "00000003",
      "610062",
    ].join(""),
  );
  expect(decodeHeaderBlock(block)).toEqual(
    new Map([
      ["streamtype", "error"],
      ["multi", "a\0b"],
    ]),
  );
  expect(encodeHeaderBlock({}).toString("hex")).toBe("00000000");
});

test.each([
  ["too short", "000000"],
  ["a count larger than the block", "00000009"],
  ["a truncated name", "00000001 00000005 6162"],
  ["an upper-case name", "00000001 00000001 41 00000000"],
  ["a repeated name", "00000002 00000001 61 00000000 00000001 61 00000000"],
  ["an empty name", "00000001 00000000 00000000"],
  ["bytes after the pairs", "00000000 00"],
])("decoding rejects %s", (_what, hex) => {
  expect(() => decodeHeaderBlock(Buffer.from(hex.replace(/ /g, ""), "hex"))).toThrow(SpdyProtocolError);
});

test.each(["exec-stdin.txt", "exec-tty.txt", "exec-nonzero.txt", "attach.txt", "portforward.txt", "portforward-error.txt"])(
  "the client's compressed blocks in %s inflate in order, with one context, to the listed headers",
  async (name) => {
    const blocks = compressedBlocks(name, "C->S");
    const listed = listedHeaders(name, "C->S");
    expect(blocks.length).toBeGreaterThan(1);
    expect(blocks.length).toBe(listed.length);
    const inflater = new HeaderDecompressor();
    for (const [i, block] of blocks.entries()) expect(Object.fromEntries(await inflater.decompress(block))).toEqual(listed[i]);
    inflater.close();
  },
);

test("a later block cannot be read without the earlier ones", async () => {
  const [, second] = compressedBlocks("exec-stdin.txt", "C->S");
  const inflater = new HeaderDecompressor();
  await expect(inflater.decompress(second as Buffer)).rejects.toThrow(SpdyProtocolError);
  // And the context is then unusable: the connection has to go.
  await expect(inflater.decompress(Buffer.from("78f9e3c6a7c26260606000000000ffff", "hex"))).rejects.toThrow();
});

test("the server's empty SYN_REPLY blocks as Go wrote them decode with a fresh context", async () => {
  const inflater = new HeaderDecompressor();
  for (const block of compressedBlocks("exec-stdin.txt", "S->C")) expect(await inflater.decompress(block)).toEqual(new Map());
  inflater.close();
});

test("our first block starts with the zlib header and the dictionary's id, as observed; ours decode like Go's", async () => {
  const deflater = new HeaderCompressor();
  const ours = [
    await deflater.compress({}),
    await deflater.compress({}),
    await deflater.compress({ streamtype: "stdout" }),
    await deflater.compress({}),
  ];
  const observedFirst = compressedBlocks("exec-stdin.txt", "S->C")[0] as Buffer;
  expect(observedFirst.subarray(0, 6).toString("hex")).toBe("78f9e3c6a7c2");
  expect((ours[0] as Buffer).subarray(0, 6)).toEqual(observedFirst.subarray(0, 6));
  for (const block of ours) {
    // Each block ends with an empty stored block (sync flush) and later ones carry no zlib header.
    expect(block.subarray(-4).toString("hex")).toBe("0000ffff");
  }
  expect((ours[1] as Buffer).subarray(0, 2).toString("hex")).not.toBe("78f9");
  const inflater = new HeaderDecompressor();
  const decoded = [];
  for (const block of ours) decoded.push(Object.fromEntries(await inflater.decompress(block)));
  expect(decoded).toEqual([{}, {}, { streamtype: "stdout" }, {}]);
  inflater.close();
  deflater.close();
});

test("concurrent compress() calls come out in call order", async () => {
  const deflater = new HeaderCompressor();
  const names = Array.from({ length: 20 }, (_, i) => `value-${i}`);
  const blocks = await Promise.all(names.map((n) => deflater.compress({ n })));
  const inflater = new HeaderDecompressor();
  for (const [i, block] of blocks.entries()) expect((await inflater.decompress(block)).get("n")).toBe(names[i]);
  deflater.close();
  inflater.close();
});

test("a block inflating beyond the limit is a protocol error", async () => {
  const deflater = new HeaderCompressor();
  const huge = await deflater.compress({ big: "x".repeat(300 * 1024) });
  const inflater = new HeaderDecompressor();
  await expect(inflater.decompress(huge)).rejects.toThrow(/more than/);
  deflater.close();
});
