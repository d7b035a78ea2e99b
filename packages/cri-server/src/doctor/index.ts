/**
 * `rktlet doctor`: checks the host for what the rkt backend needs and says what is wrong and how to fix it.
 * collectDoctorReport gives the results as data (for --json and tests); runDoctor prints them.
 */
import type { DaemonOptions } from "../daemon/options";
import { collectDoctorReport } from "./collect";
import { formatReport } from "./format";

export { collectDoctorReport, exitCodeOf } from "./collect";
export { formatCheck, formatReport } from "./format";
export { type CheckResult, type CheckStatus, DEFAULT_HOST, type DoctorHost, type DoctorReport } from "./types";

/** Runs every check, writes one line per check and a summary; resolves with the exit code (1: something blocks pods). */
export async function runDoctor(options: DaemonOptions, out: { write(s: string): void }): Promise<number> {
  const report = await collectDoctorReport(options);
  out.write(formatReport(options, report));
  return report.exitCode;
}
