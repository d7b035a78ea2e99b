import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * The rkt simulator's executable: a stand-in for rkt 1.30 that keeps the same command line, JSON and
 * error contract and really runs each app's command as a host process (no isolation). Point rktlet's
 * `--rkt-path` at it to run the whole daemon on a machine without rkt.
 */
export function rktSimPath(): string {
  const path = join(__dirname, "..", "sim", "dist", "bin", "rkt-sim.js");
  if (!existsSync(path)) throw new Error(`the rkt simulator is not built (${path}); run npm run build`);
  return path;
}
