import { type CheckResult, result } from "./types";

/**
 * Runs one check with a time limit. A check that throws or overruns is a failure of that check only; the
 * others still report. (Commands inside a check have their own, shorter limits and are killed.)
 */
export async function bounded(id: string, title: string, ms: number, run: () => Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve(result(id, title, "fail", `the check did not finish within ${Math.round(ms / 1000)}s`, "see what hangs by hand")),
      ms,
    );
  });
  try {
    return await Promise.race([
      run().catch((err: unknown) =>
        result(id, title, "fail", `the check itself failed: ${err instanceof Error ? err.message : String(err)}`, "report this"),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
