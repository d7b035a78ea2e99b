import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RktResult } from "@rktlet/adapters-rkt";

/** The recorded real rkt 1.30 invocations (../shared/reference/fixtures/rkt beside the repository). */
export const FIXTURES = process.env.RKT_FIXTURES ?? join(__dirname, "..", "..", "..", "..", "shared", "reference", "fixtures", "rkt");

export interface Fixture {
  readonly name: string;
  readonly argv: string[];
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  file(name: string): string;
}

export function fixture(name: string): Fixture {
  const dir = join(FIXTURES, name);
  if (!existsSync(dir)) throw new Error(`fixture ${name} not found under ${FIXTURES}`);
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  // The sandbox cases have no rc/stdout/stderr (the process outlived the capture); they read as empty.
  const optional = (f: string) => (existsSync(join(dir, f)) ? read(f) : "");
  const rcText = optional("rc").trim() || "-";
  return {
    name,
    argv: JSON.parse(read("argv.json")) as string[],
    rc: rcText === "-" ? Number.NaN : Number.parseInt(rcText, 10),
    stdout: optional("stdout"),
    stderr: optional("stderr"),
    file: read,
  };
}

/** A fixture as the runner would have returned it. */
export function asResult(f: Fixture): RktResult {
  return { argv: f.argv, exitCode: f.rc, stdout: f.stdout, stderr: f.stderr, timedOut: false, ms: 0 };
}
