import { ErrorKind, RktletError } from "@rktlet/core";
import type { RktResult } from "./runner";

/**
 * rkt's error messages (rkt 1.30, see the CLI contract) and what they mean for a CRI caller. The first
 * pattern that matches stderr (or stdout, where rkt prints there) decides the kind.
 */
const PATTERNS: readonly (readonly [RegExp, ErrorKind, string?])[] = [
  [
    /no matches found for|cannot find app|nonexistent app|no image IDs found|Unable to fopen "\/rkt\/env\/|Chroot "\/opt\/stage2\/[^"]*" failed/,
    ErrorKind.NotFound,
  ],
  [
    /error finding images|attempted fallback to API v1 but not supported|either image was not found/,
    ErrorKind.NotFound,
    "the image is not in rkt's store or registry",
  ],
  [/multiple apps with name/, ErrorKind.AlreadyExists],
  [/is not yet ready|error waiting for pod readiness/, ErrorKind.Unavailable, "the pod is not ready"],
  [/isn't currently running|is currently running|is already stopped/, ErrorKind.FailedPrecondition],
  [
    /server gave HTTP response to HTTPS client/,
    ErrorKind.FailedPrecondition,
    "the registry speaks plain http: add `http` to --rkt-insecure-options",
  ],
  [/discovery failed/, ErrorKind.Unavailable, "image discovery failed (no network, or an unknown appc name)"],
  [
    /unexpected http code: 40[13]\b|unauthorized|authentication required/i,
    ErrorKind.FailedPrecondition,
    "the registry refused the credentials",
  ],
];

/** The lines of rkt's own output worth showing a person: the error lines, without usage noise. */
export function rktMessage(r: RktResult): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/group "rkt" not found|^Usage:|^Flags:|^Global Flags:|^\s*--/.test(l));
  return lines.slice(0, 6).join("; ").slice(0, 2000);
}

/** Turns a failed rkt call into a RktletError a person can act on, carrying rkt's own message. */
export function rktError(r: RktResult, what: string): RktletError {
  const cmd = r.argv
    .slice(1, 2)
    .concat(
      r.argv
        .slice(2)
        .filter((a) => !a.startsWith("--"))
        .slice(0, 2),
    )
    .join(" ");
  if (r.spawnError) return new RktletError(ErrorKind.Unavailable, `${what}: could not run rkt (${r.argv[0]}): ${r.spawnError}`);
  if (r.timedOut) return new RktletError(ErrorKind.DeadlineExceeded, `${what}: rkt ${cmd} did not finish in time and was killed`);
  const message = rktMessage(r) || `exit status ${r.exitCode}`;
  const text = `${r.stderr}\n${r.stdout}`;
  for (const [pattern, kind, hint] of PATTERNS) {
    if (pattern.test(text)) return new RktletError(kind, `${what}: ${message}${hint ? ` (${hint})` : ""}`);
  }
  return new RktletError(ErrorKind.Internal, `${what}: rkt ${cmd} failed with exit status ${r.exitCode}: ${message}`);
}

/** Runs `check` on a result and throws the classified error if rkt failed. */
export function ensureOk(r: RktResult, what: string): RktResult {
  if (r.exitCode !== 0 || r.timedOut || r.spawnError) throw rktError(r, what);
  return r;
}
