/** Failures that end a command: the lines rkt prints on stderr and its exit code. */

/** rkt's usual failure exit code. */
export const EXIT_FAIL = 254;

export class CliError extends Error {
  constructor(
    /** Lines for stderr, without trailing newlines. */
    readonly lines: readonly string[],
    readonly exitCode: number = EXIT_FAIL,
  ) {
    super(lines.join("\n"));
  }
}

/** `<cmd>: <message>` on stderr, rc 254: rkt's stderr.PrintE form. */
export function fail(cmd: string, message: string, exitCode: number = EXIT_FAIL): CliError {
  return new CliError([`${cmd}: ${message}`], exitCode);
}

/** Errors parsed from the command line (cobra/pflag): "Error: …" on stderr plus usage on stdout. */
export class FlagError extends Error {}

/** The pod lookup failure rkt reports as `no matches found for "<uuid>"`. */
export class NoMatchError extends Error {
  constructor(readonly uuid: string) {
    super(`no matches found for "${uuid}"`);
  }
}
