import { chmod, lstat, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";
import { ErrorKind, RktletError } from "@rktlet/core";

/** Is something accepting connections on this unix socket right now? */
export function isLive(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const done = (live: boolean) => {
      s.destroy();
      resolve(live);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(timeoutMs, () => done(false));
  });
}

/**
 * Makes `path` ready to bind: creates its directory, removes a stale socket left by a crashed daemon,
 * and refuses to take over a socket another process still serves, or to delete anything not a socket.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (!st) return;
  if (!st.isSocket())
    throw new RktletError(ErrorKind.FailedPrecondition, `${path} exists and is not a socket; remove it or choose another --listen path`);
  if (await isLive(path))
    throw new RktletError(ErrorKind.AlreadyExists, `another process is serving ${path}; stop it first or choose another --listen path`);
  await unlink(path);
}

/** Binds with a umask that already yields mode 0660, then sets the mode explicitly: no window with wider access. */
export async function withSocketUmask<T>(bind: () => Promise<T>, path: string): Promise<T> {
  const previous = process.umask(0o117);
  try {
    return await bind();
  } finally {
    process.umask(previous);
    await chmod(path, 0o660).catch(() => undefined);
  }
}

export async function removeSocket(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
