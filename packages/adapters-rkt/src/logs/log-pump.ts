import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readFile, rm, stat, truncate } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KeyedLock, type Logger, silentLogger } from "@rktlet/core";
import { writeJsonAtomic } from "@rktlet/node-support";
import { stateFileName } from "../state/records";
import { convertChunk, type LineHeader, MAX_CRI_LINE_BYTES } from "./cri-format";

export interface LogTarget {
  readonly id: string;
  /** rkt's raw log file (k8s-plain), which rkt creates when the app starts. */
  readonly rawPath: string;
  /** kubelet's CRI log file. */
  readonly criPath: string;
}

/**
 * Where conversion stands, written atomically after each write: how far the raw file was read, and the
 * size the CRI file had then (with its inode, to notice kubelet's rotation). After a crash, the CRI file is
 * cut back to `criSize` and conversion resumes at `rawOffset`: nothing is lost and nothing is repeated.
 */
interface Progress {
  rawOffset: number;
  criIno: number;
  criSize: number;
  /** Header of a raw line longer than one read, whose pieces were written but whose end was not yet read. */
  cont?: LineHeader | undefined;
}

interface Tracked {
  readonly target: LogTarget;
  progress: Progress;
  out: FileHandle | undefined;
}

/** Converts every tracked container's raw rkt log into the CRI file kubelet reads, continuously. */
export class LogPump {
  private readonly tracked = new Map<string, Tracked>();
  /** One conversion, reopen or untrack at a time per container: two at once would read the same offset twice. */
  private readonly locks = new KeyedLock();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly stateDir: string,
    private readonly pollMs: number,
    private readonly logger: Logger = silentLogger,
    private readonly maxLine = MAX_CRI_LINE_BYTES,
    /** Bytes read from a raw file at a time; a longer raw line is written as P pieces as it comes. */
    private readonly readChunk = 1024 * 1024,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.pumpAll().finally(() => (this.running = undefined));
    }, this.pollMs);
    this.timer.unref();
  }

  /** Stops the timer and closes the files; with `drain`, converts what is pending first. */
  async stop(drain = true): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (drain) await this.pumpAll();
    for (const t of this.tracked.values()) await this.closeOut(t);
  }

  async track(target: LogTarget): Promise<void> {
    if (this.tracked.has(target.id)) return;
    const progress = await this.loadProgress(target.id);
    this.tracked.set(target.id, { target, progress, out: undefined });
  }

  /** Stops converting; with `forget`, also deletes the progress file and the raw log. */
  async untrack(id: string, forget: boolean): Promise<void> {
    await this.locks.run(id, async () => {
      const t = this.tracked.get(id);
      this.tracked.delete(id);
      if (t) {
        if (!forget) await this.pumpOne(t);
        await this.closeOut(t);
      }
      if (forget) {
        await rm(this.progressPath(id), { force: true });
        if (t) await rm(t.target.rawPath, { force: true });
      }
    });
  }

  /** kubelet renamed the CRI file to rotate it: finish writing, then continue in a new file at the path. */
  async reopen(id: string): Promise<void> {
    await this.locks.run(id, async () => {
      const t = this.tracked.get(id);
      if (!t) return;
      await this.pumpOne(t);
      await this.closeOut(t);
      t.progress = { ...t.progress, criIno: -1, criSize: 0 };
      await this.openOut(t);
    });
  }

  has(id: string): boolean {
    return this.tracked.has(id);
  }

  /** One conversion pass over every tracked log (the timer calls this; tests call it directly). */
  async pumpAll(): Promise<void> {
    for (const t of [...this.tracked.values()]) {
      try {
        await this.locks.run(t.target.id, async () => {
          if (this.tracked.get(t.target.id) === t) await this.pumpOne(t);
        });
      } catch (err) {
        this.logger.warn({ containerId: t.target.id, err: (err as Error).message }, "log conversion failed; retrying");
      }
    }
  }

  private async pumpOne(t: Tracked): Promise<void> {
    const size = await stat(t.target.rawPath).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0) return;
    if (size < t.progress.rawOffset) t.progress.rawOffset = 0; // the raw file was recreated
    while (size > t.progress.rawOffset) {
      const fh = await open(t.target.rawPath, "r");
      let chunk: Buffer;
      try {
        const length = Math.min(this.readChunk, size - t.progress.rawOffset);
        chunk = Buffer.alloc(length);
        const { bytesRead } = await fh.read(chunk, 0, length, t.progress.rawOffset);
        chunk = chunk.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
      let r = convertChunk(chunk, this.maxLine, t.progress.cont);
      if (r.consumed === 0) {
        if (chunk.length < this.readChunk) return; // an unterminated line: wait for its end
        r = convertChunk(chunk, this.maxLine, t.progress.cont, true); // a line longer than a read: write pieces
      }
      await this.append(t, r.output);
      t.progress.rawOffset += r.consumed;
      t.progress.cont = r.cont;
      await this.saveProgress(t);
    }
  }

  private async append(t: Tracked, data: Buffer): Promise<void> {
    if (data.length === 0) return;
    const out = t.out ?? (await this.openOut(t));
    await out.write(data, 0, data.length, null);
    t.progress.criSize += data.length;
  }

  /** Opens the CRI file for appending, cutting off anything written after the last saved progress. */
  private async openOut(t: Tracked): Promise<FileHandle> {
    await mkdir(dirname(t.target.criPath), { recursive: true, mode: 0o755 });
    const existing = await stat(t.target.criPath).catch(() => undefined);
    if (existing && existing.ino === t.progress.criIno) {
      if (existing.size > t.progress.criSize) await truncate(t.target.criPath, t.progress.criSize);
      else t.progress.criSize = existing.size;
    } else {
      // A new file (first write, or kubelet rotated it while we were away).
      t.progress.criSize = existing?.size ?? 0;
    }
    // O_NOFOLLOW: a symlink planted at the log path cannot redirect container output elsewhere.
    const fh = await open(t.target.criPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
    t.progress.criIno = (await fh.stat()).ino;
    t.out = fh;
    // Record the file before the first byte goes in, so a crash right after it is cut back, not repeated.
    await this.saveProgress(t);
    return fh;
  }

  private async closeOut(t: Tracked): Promise<void> {
    const out = t.out;
    t.out = undefined;
    if (out) {
      await out.sync().catch(() => undefined);
      await out.close();
    }
  }

  private progressPath(id: string): string {
    return join(this.stateDir, stateFileName(id));
  }

  private async loadProgress(id: string): Promise<Progress> {
    try {
      const p = JSON.parse(await readFile(this.progressPath(id), "utf8")) as Progress;
      return { rawOffset: p.rawOffset, criIno: p.criIno, criSize: p.criSize, cont: p.cont };
    } catch {
      return { rawOffset: 0, criIno: -1, criSize: 0 };
    }
  }

  private async saveProgress(t: Tracked): Promise<void> {
    if (t.out) await t.out.sync(); // the CRI bytes are on disk before the progress that counts them
    await writeJsonAtomic(this.progressPath(t.target.id), t.progress);
  }
}
