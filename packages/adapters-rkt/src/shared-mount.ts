import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { mountOf, parseMountEntries, sharedPeerGroup } from "@rktlet/node-support";
import execa from "execa";

/** Is `dir` a mount point, and is it shared (the `shared:N` optional field of /proc/self/mountinfo)? */
export async function mountState(dir: string): Promise<{ mountPoint: boolean; shared: boolean }> {
  const target = resolve(dir);
  const top = mountOf(parseMountEntries(await readFile("/proc/self/mountinfo", "utf8")), target);
  if (top?.mountPoint !== target) return { mountPoint: false, shared: false };
  return { mountPoint: true, shared: sharedPeerGroup(top) !== undefined };
}

/**
 * rkt relies on mount propagation from its data directory into pods; without it apps fail to start
 * (exit 203) while everything reports success. Makes the directory a shared bind mount of itself.
 */
export async function ensureSharedMount(dir: string): Promise<"already" | "made"> {
  const state = await mountState(dir);
  if (state.mountPoint && state.shared) return "already";
  const run = async (args: string[]) => {
    const r = await execa("mount", args, { reject: false, timeout: 10_000 });
    if (r.exitCode !== 0) throw new Error(`mount ${args.join(" ")}: ${r.stderr.trim() || `exit status ${r.exitCode}`}`);
  };
  if (!state.mountPoint) await run(["--bind", dir, dir]);
  await run(["--make-rshared", dir]);
  return "made";
}
