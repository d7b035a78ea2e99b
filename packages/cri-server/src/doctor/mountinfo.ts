import { readFile } from "node:fs/promises";

/** One line of /proc/<pid>/mountinfo, as far as the propagation check needs it. */
export interface MountEntry {
  readonly mountPoint: string;
  /** The optional fields: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`. */
  readonly optional: readonly string[];
  readonly fsType: string;
}

const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMountEntries(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const sep = fields.indexOf("-", 6);
    if (sep < 0 || fields.length < 7) continue;
    out.push({ mountPoint: unescapeOctal(fields[4] ?? ""), optional: fields.slice(6, sep), fsType: fields[sep + 1] ?? "" });
  }
  return out;
}

export async function readMountEntries(path: string): Promise<MountEntry[]> {
  return parseMountEntries(await readFile(path, "utf8"));
}

const within = (mountPoint: string, path: string) => mountPoint === "/" || path === mountPoint || path.startsWith(`${mountPoint}/`);

/** The mount `path` lies on: the longest mount point above it; of mounts stacked on one point, the last (topmost). */
export function mountOf(entries: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const e of entries) if (within(e.mountPoint, path) && (!best || e.mountPoint.length >= best.mountPoint.length)) best = e;
  return best;
}

export const sharedPeerGroup = (e: MountEntry): string | undefined => e.optional.find((f) => f.startsWith("shared:"));
