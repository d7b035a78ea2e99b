import { constants, type Stats } from "node:fs";
import { access, lstat, mkdtemp, rmdir, stat } from "node:fs/promises";
import { delimiter, dirname, join, resolve } from "node:path";

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `path` itself or its nearest ancestor that exists: what the daemon would create directories under. */
export async function nearestExisting(path: string): Promise<{ path: string; stat: Stats; missing: boolean }> {
  let p = resolve(path);
  for (;;) {
    const st = await stat(p).catch(() => undefined);
    if (st) return { path: p, stat: st, missing: p !== resolve(path) };
    const up = dirname(p);
    if (up === p) throw new Error(`nothing of ${path} exists`);
    p = up;
  }
}

/**
 * Can this process create `dir` (if missing) and files in it? Tried for real, with a directory made and
 * removed at once: root passes every permission test, so only an attempt tells (read-only mounts, a file
 * where a directory should be). Undefined when it can, else why not.
 */
export async function probeWritable(dir: string): Promise<string | undefined> {
  let base: Awaited<ReturnType<typeof nearestExisting>>;
  try {
    base = await nearestExisting(dir);
  } catch (err) {
    return errText(err);
  }
  if (!base.stat.isDirectory()) return `${base.path} is not a directory`;
  try {
    const probe = await mkdtemp(join(base.path, ".rktlet-doctor-"));
    await rmdir(probe);
    return undefined;
  } catch (err) {
    return errText(err);
  }
}

/** Where an executable name resolves through PATH (names with a slash are taken as paths). */
export async function findExecutable(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (name.includes("/")) return resolve(name);
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export async function isExecutableFile(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return false;
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  return lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export function bytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(0)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}
