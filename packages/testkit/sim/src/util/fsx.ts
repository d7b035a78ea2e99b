/** File helpers: every state file is replaced atomically (write a temp file, then rename over). */
import * as fs from "node:fs";
import * as path from "node:path";

let tmpCounter = 0;

export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${tmpCounter++}.tmp`);
  try {
    fs.writeFileSync(tmp, data, { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function readJsonFile<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT") || isErrno(e, "ENOTDIR")) return undefined;
    throw e;
  }
  return JSON.parse(text) as T;
}

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && (e as NodeJS.ErrnoException).code === code;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocking sleep, for the few places that must stay synchronous (lock retries). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A cross-process mutex made of a directory (mkdir is atomic). A lock older than `staleMs` is assumed to
 * belong to a killed process and is broken.
 */
export function withDirLock<T>(lockDir: string, fn: () => T, staleMs = 10_000): T {
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (e) {
      if (!isErrno(e, "EEXIST")) throw e;
      try {
        const st = fs.statSync(lockDir);
        if (Date.now() - st.mtimeMs > staleMs) fs.rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // the holder released it meanwhile
      }
      sleepSync(5);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
