import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Replaces `path` with `data` so that a crash at any point leaves either the old or the new content,
 * never a torn file: write a temporary file beside it, fsync it, rename it over, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "w", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`, mode);
}

const TEMP_FILE = /^\.(\d+)-[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temporary files of writers that died between writing and renaming (a kill -9). A file is
 * abandoned when the process named in it is gone; files of live processes are left, so this is safe to
 * call at any time. Returns how many were removed.
 */
export async function removeAbandonedTempFiles(dir: string): Promise<number> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of entries) {
    const pid = Number(TEMP_FILE.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await unlink(join(dir, name)).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
