import type { DaemonOptions } from "../daemon/options";
import type { CheckResult, CheckStatus, DoctorReport } from "./types";

const LABEL: Record<CheckStatus, string> = { ok: "ok", warn: "warn", fail: "FAIL", skip: "skip" };

/** One line per check: status, what it checked, what it found, and for warn/FAIL the fix. */
export function formatCheck(c: CheckResult): string {
  const fix = c.fix && (c.status === "warn" || c.status === "fail") ? `; fix: ${c.fix}` : "";
  return `${LABEL[c.status].padEnd(4)}  ${c.title}: ${c.found}${fix}`;
}

export function formatReport(options: DaemonOptions, report: DoctorReport): string {
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  const lines = [`rktlet doctor: rkt ${options.rktPath}, data ${options.rktDataDir}, state ${options.stateDir}, socket ${options.listen}`];
  if (options.backend === "fake") lines.push("note: --backend fake needs none of this; these are the checks for --backend rkt");
  lines.push(...report.checks.map(formatCheck));
  const failed = count("fail");
  const summary = `${count("ok")} ok, ${count("warn")} warn, ${failed} FAIL${count("skip") ? `, ${count("skip")} skipped` : ""}`;
  lines.push(failed > 0 ? `${summary}: pods cannot run until the FAIL lines are fixed` : `${summary}: nothing blocks pods`);
  return `${lines.join("\n")}\n`;
}
