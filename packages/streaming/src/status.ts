import type { CommandResult } from "./session";

/**
 * What goes on the error channel at the end of an exec/attach. v4 and later carry a metav1.Status in JSON
 * (field order as Go marshals it); v1 carries nothing on success and the bare message on failure.
 * Transport-neutral: SPDY writes the same bytes.
 */
export type StatusFlavour = "v1" | "v4";

export function statusMessage(result: CommandResult): string | undefined {
  if (result.kind === "error") return `Internal error occurred: ${result.message}`;
  if (result.exitCode === 0) return undefined;
  // containerd adds the command line here; the session does not know it, so this is Go's os/exec wording.
  return `command terminated with non-zero exit code: exit status ${result.exitCode}`;
}

/** The v4 Status object for a result, keys in the order Go emits them. */
export function statusObject(result: CommandResult): Record<string, unknown> {
  if (result.kind === "exited" && result.exitCode === 0) return { metadata: {}, status: "Success" };
  if (result.kind === "exited") {
    return {
      metadata: {},
      status: "Failure",
      message: statusMessage(result),
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: String(result.exitCode) }] },
    };
  }
  return {
    metadata: {},
    status: "Failure",
    message: statusMessage(result),
    reason: "InternalError",
    details: { causes: [{ message: result.message }] },
    code: 500,
  };
}

/** The bytes for the error channel, or undefined when nothing is to be written. */
export function encodeStatus(result: CommandResult, flavour: StatusFlavour): Buffer | undefined {
  if (flavour === "v4") return Buffer.from(goJson(statusObject(result)));
  const message = statusMessage(result);
  return message === undefined ? undefined : Buffer.from(message);
}

/** JSON.stringify with encoding/json's HTML-safe escapes, so our bytes match the Go servers'. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
