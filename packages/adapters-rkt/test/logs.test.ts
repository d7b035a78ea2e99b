import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

describe("LogPump: concurrency and very long lines", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "logpump2-"));
    mkdirSync(join(dir, "raw"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const t = () => ({ id: "pod:0-app", rawPath: join(dir, "raw", "0-app.log"), criPath: join(dir, "pods", "0.log") });

  test("a reopen racing the timer's pass converts every line exactly once", async () => {
    const target = t();
    const pump = new LogPump(join(dir, "progress"), 1000);
    await pump.track(target);
    for (let round = 0; round < 20; round++) {
      appendFileSync(target.rawPath, `2026-11-29T15:11:18.1Z stdout r${round}\n`);
      await Promise.all([pump.pumpAll(), round % 5 === 4 ? pump.reopen(target.id) : pump.pumpAll(), pump.pumpAll()]);
    }
    await pump.stop();
    expect(readCriLog(readFileSync(target.criPath, "utf8")).map((l) => l.message)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  });

  test("a stderr line longer than a read keeps its stream and time across pieces, and ends with one F", async () => {
    const target = t();
    const long = "e".repeat(100);
    appendFileSync(target.rawPath, `2026-11-29T15:11:18.2Z stderr ${long}\n2026-11-29T15:11:18.3Z stdout short\n`);
    const pump = new LogPump(join(dir, "progress"), 1000, undefined, 16, 40);
    await pump.track(target);
    await pump.pumpAll();
    await pump.stop();
    const text = readFileSync(target.criPath, "utf8");
    const lines = text.trim().split("\n").map(parseCri);
    expect(new Set(lines.slice(0, -1).map((l) => `${l.time} ${l.stream}`))).toEqual(new Set(["2026-11-29T15:11:18.2Z stderr"]));
    expect(lines.filter((l) => l.tag === "F")).toHaveLength(2);
    expect(readCriLog(text)).toEqual([
      { stream: "stderr", message: long },
      { stream: "stdout", message: "short" },
    ]);
  });

  test("a crash right after the first write is cut back, not repeated", async () => {
    const target = t();
    appendFileSync(target.rawPath, "2026-11-29T15:11:18.1Z stdout first\n");
    const pump = new LogPump(join(dir, "progress"), 1000);
    await pump.track(target);
    await pump.pumpAll();
    await pump.stop(false);
    // as if the daemon died after writing the line but before recording it: progress as of the open
    const progress = JSON.parse(readFileSync(join(dir, "progress", "pod_0-app.json"), "utf8"));
    writeFileSync(join(dir, "progress", "pod_0-app.json"), JSON.stringify({ ...progress, rawOffset: 0, criSize: 0 }));
    const again = new LogPump(join(dir, "progress"), 1000);
    await again.track(target);
    await again.pumpAll();
    await again.stop();
    expect(readCriLog(readFileSync(target.criPath, "utf8")).map((l) => l.message)).toEqual(["first"]);
  });

  test("a symlink planted at the log path is not followed", async () => {
    const target = t();
    mkdirSync(join(dir, "pods"));
    writeFileSync(join(dir, "victim"), "precious\n");
    symlinkSync(join(dir, "victim"), target.criPath);
    appendFileSync(target.rawPath, "2026-11-29T15:11:18.1Z stdout x\n");
    const pump = new LogPump(join(dir, "progress"), 1000);
    await pump.track(target);
    await pump.pumpAll();
    await pump.stop();
    expect(readFileSync(join(dir, "victim"), "utf8")).toBe("precious\n");
  });
});
