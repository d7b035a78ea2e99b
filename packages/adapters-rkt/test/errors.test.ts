import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { rktError, rktMessage } from "@rktlet/adapters-rkt";
import { asResult, FIXTURES, fixture } from "./fixtures";

/** Every failing command of the fixtures, and the CRI-facing kind its error must get. */
const CASES: [string, string][] = [
  ["stop-pod-missing", "NotFound"],
  ["rm-pod-gone", "NotFound"],
  ["status-gone", "NotFound"],
  ["status-gone-json-wait-ready", "NotFound"],
  ["app-status-gone-pod", "NotFound"],
  ["app-status-nonexistent", "NotFound"],
  ["app-start-nonexistent", "NotFound"],
  ["app-stop-nonexistent", "NotFound"],
  ["app-rm-nonexistent", "NotFound"],
  ["app-rm-again", "NotFound"],
  ["app-exec-unknown-app", "NotFound"],
  ["app-exec-missing-pod", "NotFound"],
  ["app-add-unknown-image-id", "NotFound"],
  ["app-add-unknown-image-docker", "NotFound"],
  ["image-fetch-missing-tag", "NotFound"],
  ["image-fetch-missing-repo", "NotFound"],
  ["image-fetch-never-missing", "NotFound"],
  ["image-cat-manifest-missing", "NotFound"],
  ["app-add-dup-name", "AlreadyExists"],
  ["rm-pod-running", "FailedPrecondition"],
  ["app-exec-exited-pod", "FailedPrecondition"],
  ["app-add-exited-pod", "FailedPrecondition"],
  ["attach-list-exited-pod", "FailedPrecondition"],
  ["image-fetch-update-nohttp", "FailedPrecondition"],
  ["status-wait-ready-exited", "Unavailable"],
  ["image-fetch-stage1-by-name-update", "Unavailable"],
  ["app-add-gone-pod", "NotFound"],
  ["app-status-after-rm", "NotFound"],
  ["rm-pod-gone-a", "NotFound"],
  ["stop-pod-force-gone", "NotFound"],
  ["app-exec-after-rm", "NotFound"],
  // rkt's own failures with nothing a caller could do differently: Internal, with rkt's message
  ["app-add-bad-flag-syntax", "Internal"],
  ["app-add-full-hostvol", "Internal"],
  ["app-rm-after-failed-add", "Internal"],
  ["app-start-after-failed-add", "Internal"],
  ["app-exec-no-app-flag", "Internal"],
  ["attach-list-no-app", "Internal"],
  ["app-list-format-json", "Internal"],
  ["app-status-no-app-flag", "Internal"],
];

/** Failing fixtures whose exit status is the exec'd command's own, which ExecSync passes through. */
const EXEC_RESULTS = ["app-exec", "app-exec-nonexistent-binary"];

describe("rkt errors are classified from exit code and message", () => {
  test.each(CASES)("%s → %s", (name, kind) => {
    const f = fixture(name);
    expect(f.rc).not.toBe(0);
    const err = rktError(asResult(f), "doing it");
    expect(err.kind).toBe(kind);
    expect(err.message.startsWith("doing it: ")).toBe(true);
    // rkt's own words reach the person, without the harmless group warning
    const firstLine =
      `${f.stderr}\n${f.stdout}`
        .split("\n")
        .find((l) => l.trim() && !l.includes('group "rkt" not found'))
        ?.trim() ?? "";
    expect(err.message).toContain(firstLine.slice(0, 40));
    expect(err.message).not.toContain('group "rkt" not found');
  });

  test("every failing recorded invocation is classified here or is an exec result", () => {
    const failing = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, "rc")) && fixture(n).rc !== 0);
    const known = new Set([...CASES.map(([n]) => n), ...EXEC_RESULTS]);
    expect(failing.filter((n) => !known.has(n))).toEqual([]);
    expect(failing.length).toBe(CASES.length + EXEC_RESULTS.length);
  });

  test("the http hint tells the operator what to change", () => {
    expect(rktError(asResult(fixture("image-fetch-update-nohttp")), "pulling").message).toContain("--rkt-insecure-options");
  });

  test("a timeout and a missing binary are told apart from rkt's own failures", () => {
    const base = { argv: ["/usr/bin/rkt", "list"], exitCode: -1, stdout: "", stderr: "", ms: 0 };
    expect(rktError({ ...base, timedOut: true }, "listing").kind).toBe("DeadlineExceeded");
    const missing = rktError({ ...base, timedOut: false, spawnError: "spawn /usr/bin/rkt ENOENT" }, "listing");
    expect(missing.kind).toBe("Unavailable");
    expect(missing.message).toContain("ENOENT");
  });

  test("messages leave out usage text", () => {
    const f = fixture("app-list-format-json");
    expect(rktMessage(asResult(f))).not.toMatch(/Usage:|Flags:/);
    expect(rktMessage(asResult(f))).toContain("unknown flag: --format");
  });
});
