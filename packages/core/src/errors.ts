/**
 * The one error type of rktlet's domain. Every failure that a CRI caller should see with a specific
 * status code is a RktletError with a stable `kind`; cri-server maps kinds to gRPC codes in one place.
 */
export const ErrorKind = {
  InvalidArgument: "InvalidArgument",
  NotFound: "NotFound",
  AlreadyExists: "AlreadyExists",
  FailedPrecondition: "FailedPrecondition",
  DeadlineExceeded: "DeadlineExceeded",
  Unavailable: "Unavailable",
  ResourceExhausted: "ResourceExhausted",
  Unimplemented: "Unimplemented",
  Internal: "Internal",
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface RktletErrorOptions {
  /** The request field at fault, for InvalidArgument (e.g. `config.metadata.name`). */
  field?: string;
  cause?: unknown;
}

export class RktletError extends Error {
  override readonly name = "RktletError";
  readonly kind: ErrorKind;
  readonly field: string | undefined;

  constructor(kind: ErrorKind, message: string, options: RktletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.field = options.field;
  }

  static is(err: unknown, kind?: ErrorKind): err is RktletError {
    return err instanceof RktletError && (kind === undefined || err.kind === kind);
  }

  /** Wraps anything thrown into a RktletError, keeping RktletErrors as they are. */
  static from(err: unknown): RktletError {
    if (err instanceof RktletError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new RktletError(ErrorKind.Internal, message, { cause: err });
  }
}

export const invalidArgument = (field: string, message: string): RktletError =>
  new RktletError(ErrorKind.InvalidArgument, `${field}: ${message}`, { field });

export const notFound = (what: string, id: string): RktletError => new RktletError(ErrorKind.NotFound, `${what} "${id}" not found`);

export const alreadyExists = (message: string): RktletError => new RktletError(ErrorKind.AlreadyExists, message);

export const failedPrecondition = (message: string): RktletError => new RktletError(ErrorKind.FailedPrecondition, message);
