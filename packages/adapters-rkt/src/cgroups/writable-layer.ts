import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { POD_UUID } from "../commands/names";

/**
 * An app's writable layer. With overlay (rkt's default), stage0 mounts each app's rootfs as an overlay of
 * the image's tree (lower) and `<pod>/overlay/<treeStoreID>/upper/<app>` (upper, with `work/<app>` next to
 * it); the tree store id of the app's image is recorded in `<pod>/appsinfo/<app>/treeStoreID` (rkt's
 * `common.AppTreeStoreIDPath`; the reference notes show the `overlay/<treeStoreID>` directory and the per-app
 * upper and work directories). Without overlay (`--no-overlay`) the app's rootfs is a full copy and there is
 * no separate writable layer: undefined then.
 */
export async function appUpperDir(dataDir: string, uuid: string, app: string): Promise<string | undefined> {
  if (!POD_UUID.test(uuid) || !/^[a-z0-9][a-z0-9-]*$/.test(app)) return undefined;
  const pod = join(dataDir, "pods", "run", uuid);
  const id = (await readFile(join(pod, "appsinfo", app, "treeStoreID"), "utf8").catch(() => "")).trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) return undefined;
  const dir = join(pod, "overlay", id, "upper", app);
  const st = await lstat(dir).catch(() => undefined);
  return st?.isDirectory() ? dir : undefined;
}

/**
 * Disk usage of a directory tree like `du`: allocated bytes (st_blocks × 512) and inodes, each inode counted
 * once, symlinks not followed. Undefined when the directory is gone or holds more than `maxEntries` entries
 * (an undercount would read as free space).
 */
export async function diskUsage(dir: string, maxEntries = 200_000): Promise<{ bytes: bigint; inodes: bigint } | undefined> {
  const top = await lstat(dir, { bigint: true }).catch(() => undefined);
  if (!top?.isDirectory()) return undefined;
  const seen = new Set<bigint>([top.ino]);
  let bytes = top.blocks * 512n;
  let entries = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    const names = await readdir(d).catch(() => [] as string[]);
    for (const name of names) {
      if (++entries > maxEntries) return undefined;
      const p = join(d, name);
      const st = await lstat(p, { bigint: true }).catch(() => undefined);
      if (!st || seen.has(st.ino)) continue;
      seen.add(st.ino);
      bytes += st.blocks * 512n;
      if (st.isDirectory()) stack.push(p);
    }
  }
  return { bytes, inodes: BigInt(seen.size) };
}
