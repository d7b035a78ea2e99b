import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertChunk, LogPump } from "@rktlet/adapters-rkt";
import { fixture } from "./fixtures";

/** kubelet's reading of a CRI log line: time, stream, tag, message. */
function parseCri(line: string) {
  const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/s.exec(line);
  if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(line.slice(0, 80))}`);
  return { time: m[1] as string, stream: m[2] as string, tag: m[3] as string, message: m[4] as string };
}

/** Joins P pieces with their F, as kubelet does when it reads a log. */
function readCriLog(text: string): { stream: string; message: string }[] {
  const out: { stream: string; message: string }[] = [];
  let partial = "";
  for (const line of text.split("\n").filter((l) => l !== "")) {
    const l = parseCri(line);
    partial += l.message;
    if (l.tag === "F") {
      out.push({ stream: l.stream, message: partial });
      partial = "";
    }
  }
  return out;
}

describe("converting rkt's k8s-plain logs into kubelet's CRI format", () => {
  test("real iottymux output: every line tagged, the 20000-char line split into P pieces and an F", () => {
    const raw = Buffer.from(fixture("cri-log-file").file("cri.log"));
    const { output, consumed, lines } = convertChunk(raw);
    expect(consumed).toBe(raw.length);
    expect(lines).toBe(6);
    const criLines = output.toString().split("\n").filter(Boolean);
    expect(criLines.map((l) => parseCri(l).tag)).toEqual(["F", "F", "F", "F", "F", "P", "F"]);
    expect(criLines[0]).toBe("2026-11-29T15:11:18.481413245Z stdout F out-1");
    expect(criLines[2]).toBe("2026-11-29T15:11:18.482251415Z stderr F err-1");
    expect(readCriLog(output.toString()).map((l) => [l.stream, l.message.length])).toEqual([
      ["stdout", 5],
      ["stdout", 5],
      ["stderr", 5],
      ["stdout", 5],
      ["stderr", 5],
      ["stdout", 20000],
    ]);
  });

  test("an unterminated tail waits; an empty line stays empty", () => {
    const raw = Buffer.from("2026-11-29T15:11:35.439820954Z stdout \n2026-11-29T15:11:35.5Z stdout par");
    const { output, consumed } = convertChunk(raw);
    expect(output.toString()).toBe("2026-11-29T15:11:35.439820954Z stdout F \n");
    expect(consumed).toBe(raw.indexOf("\n") + 1);
  });

  test("lines that are not iottymux output are kept as stdout data with a time", () => {
    const { output } = convertChunk(Buffer.from("garbage line\n"));
    const l = parseCri(output.toString().trimEnd());
    expect(l).toMatchObject({ stream: "stdout", tag: "F", message: "garbage line" });
    expect(Number.isNaN(Date.parse(l.time))).toBe(false);
  });
});

describe("LogPump", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "logpump-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const line = (i: number) => `2026-11-29T15:11:18.${String(i).padStart(9, "0")}Z ${i % 2 ? "stderr" : "stdout"} line-${i}\n`;
  const target = () => ({ id: "pod:0-app", rawPath: join(dir, "raw", "0-app.log"), criPath: join(dir, "pods", "app", "0.log") });

  test("follows the raw file as it grows, and a restarted pump continues where the last one stopped", async () => {
    const t = target();
    mkdirSync(join(dir, "raw"));
    appendFileSync(t.rawPath, line(1) + line(2));
    const pump = new LogPump(join(dir, "progress"), 1000);
    await pump.track(t);
    await pump.pumpAll();
    appendFileSync(t.rawPath, `${line(3)}2026-11-29T15:11:18.4Z stdout unfinis`);
    await pump.pumpAll();
    await pump.stop();
    // a new daemon: fresh pump, same progress directory
    const again = new LogPump(join(dir, "progress"), 1000);
    await again.track(t);
    appendFileSync(t.rawPath, `hed\n${line(5)}`);
    await again.stop();
    expect(readCriLog(readFileSync(t.criPath, "utf8")).map((l) => l.message)).toEqual([
      "line-1",
      "line-2",
      "line-3",
      "unfinished",
      "line-5",
    ]);
  });

  test("a crash after writing but before saving progress neither loses nor repeats lines", async () => {
    const t = target();
    mkdirSync(join(dir, "raw"));
    appendFileSync(t.rawPath, line(1));
    const pump = new LogPump(join(dir, "progress"), 1000);
    await pump.track(t);
    await pump.pumpAll();
    const progressFile = join(dir, "progress", "pod_0-app.json");
    const saved = readFileSync(progressFile, "utf8");
    appendFileSync(t.rawPath, line(2) + line(3));
    await pump.pumpAll();
    await pump.stop(false); // the daemon dies…
    writeFileSync(progressFile, saved); // …before it recorded the second write
    const again = new LogPump(join(dir, "progress"), 1000);
    await again.track(t);
    await again.stop();
    expect(readCriLog(readFileSync(t.criPath, "utf8")).map((l) => l.message)).toEqual(["line-1", "line-2", "line-3"]);
  });

  test("ReopenContainerLog after kubelet's rename: old lines in the old file, new lines in a new one", async () => {
    const t = target();
    mkdirSync(join(dir, "raw"));
    appendFileSync(t.rawPath, line(1));
    const pump = new LogPump(join(dir, "progress"), 1000);
    await pump.track(t);
    await pump.pumpAll();
    renameSync(t.criPath, `${t.criPath}.20261129-1`);
    appendFileSync(t.rawPath, line(2));
    await pump.reopen(t.id);
    appendFileSync(t.rawPath, line(3));
    await pump.stop();
    expect(readCriLog(readFileSync(`${t.criPath}.20261129-1`, "utf8")).map((l) => l.message)).toEqual(["line-1", "line-2"]);
    expect(readCriLog(readFileSync(t.criPath, "utf8")).map((l) => l.message)).toEqual(["line-3"]);
  });

  test("untrack with forget removes the progress and the raw file", async () => {
    const t = target();
    mkdirSync(join(dir, "raw"));
    appendFileSync(t.rawPath, line(1));
    const pump = new LogPump(join(dir, "progress"), 1000);
    await pump.track(t);
    await pump.pumpAll();
    await pump.untrack(t.id, true);
    await pump.stop();
    expect(() => readFileSync(t.rawPath)).toThrow();
    expect(() => readFileSync(join(dir, "progress", "pod_0-app.json"))).toThrow();
    expect(readFileSync(t.criPath, "utf8")).toContain("line-1");
  });
});
