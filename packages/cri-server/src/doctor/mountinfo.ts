import { readFile } from "node:fs/promises";
import { type MountEntry, parseMountEntries } from "@rktlet/node-support";

export async function readMountEntries(path: string): Promise<MountEntry[]> {
  return parseMountEntries(await readFile(path, "utf8"));
}
