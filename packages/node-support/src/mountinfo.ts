import { resolve } from "node:path";

/** One line of /proc/<pid>/mountinfo (proc(5)), with its escapes undone. */
export interface MountEntry {
  /** The part of the source file system that is mounted ("/" for all of it). */
  readonly root: string;
  readonly mountPoint: string;
  /** The optional fields: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`. */
  readonly optional: readonly string[];
  readonly fsType: string;
  /** The super block options, e.g. a v1 cgroup hierarchy's controllers. */
  readonly superOptions: readonly string[];
}

const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMountEntries(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const sep = fields.indexOf("-", 6);
    if (sep < 0) continue;
    out.push({
      root: unescapeOctal(fields[3] ?? ""),
      mountPoint: unescapeOctal(fields[4] ?? ""),
      optional: fields.slice(6, sep),
      fsType: fields[sep + 1] ?? "",
      superOptions: (fields[sep + 3] ?? "").split(","),
    });
  }
  return out;
}

const within = (mountPoint: string, path: string) => mountPoint === "/" || path === mountPoint || path.startsWith(`${mountPoint}/`);

/** The mount `path` lies on: the longest mount point above it; of mounts stacked on one point, the last (topmost). */
export function mountOf(entries: readonly MountEntry[], path: string): MountEntry | undefined {
  const target = resolve(path);
  let best: MountEntry | undefined;
  for (const e of entries) if (within(e.mountPoint, target) && (!best || e.mountPoint.length >= best.mountPoint.length)) best = e;
  return best;
}

/** The `shared:N` peer group of a mount, if it propagates. */
export const sharedPeerGroup = (e: MountEntry): string | undefined => e.optional.find((f) => f.startsWith("shared:"));
