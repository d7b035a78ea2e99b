import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { ErrorKind, RktletError } from "@rktlet/core";
import { ZodError } from "zod";

const CODE_OF_KIND: Record<ErrorKind, status> = {
  [ErrorKind.InvalidArgument]: status.INVALID_ARGUMENT,
  [ErrorKind.NotFound]: status.NOT_FOUND,
  [ErrorKind.AlreadyExists]: status.ALREADY_EXISTS,
  [ErrorKind.FailedPrecondition]: status.FAILED_PRECONDITION,
  [ErrorKind.DeadlineExceeded]: status.DEADLINE_EXCEEDED,
  [ErrorKind.Unavailable]: status.UNAVAILABLE,
  [ErrorKind.ResourceExhausted]: status.RESOURCE_EXHAUSTED,
  [ErrorKind.Unimplemented]: status.UNIMPLEMENTED,
  [ErrorKind.Internal]: status.INTERNAL,
};

/** `podSandboxId` → `pod_sandbox_id`: clients know the proto's field names, not ts-proto's. */
export function protoFieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += `${out ? "." : ""}${String(part).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
  }
  return out || "request";
}

/** Domain error → RktletError, with zod issues turned into InvalidArgument naming the field. */
export function toRktletError(err: unknown): RktletError {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const field = protoFieldName(issue?.path ?? []);
    return new RktletError(ErrorKind.InvalidArgument, `${field}: ${issue?.message ?? "invalid"}`, { field, cause: err });
  }
  return RktletError.from(err);
}

/**
 * Status messages travel in an HTTP/2 header (percent-encoded, so up to 12 bytes a character): one that
 * echoes a huge request (a command line, a value) would exceed what clients accept, and the caller would
 * get no answer at all. The log keeps the whole message.
 */
export const MAX_STATUS_MESSAGE = 1024;

export function boundedMessage(message: string): string {
  if (message.length <= MAX_STATUS_MESSAGE) return message;
  // do not cut a surrogate pair in half
  const end = /[\ud800-\udbff]/.test(message.charAt(MAX_STATUS_MESSAGE - 1)) ? MAX_STATUS_MESSAGE - 1 : MAX_STATUS_MESSAGE;
  return `${message.slice(0, end)}… (${message.length - end} more characters)`;
}

/** The one place where errors become gRPC statuses. */
export function toServiceError(err: unknown): ServiceError & { kind: ErrorKind } {
  const e = toRktletError(err);
  const code = CODE_OF_KIND[e.kind];
  const details = boundedMessage(e.message);
  return Object.assign(new Error(details), { code, details, metadata: new Metadata(), kind: e.kind });
}
