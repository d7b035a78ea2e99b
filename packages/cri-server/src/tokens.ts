/** Dependency-injection tokens. Every injected constructor parameter names one of these explicitly. */
export const TOKENS = {
  /** The @rktlet/core CriRuntime (use cases wired over one backend). */
  Runtime: Symbol("CriRuntime"),
  /** The root pino logger. */
  Logger: Symbol("Logger"),
  /** Wraps async handlers for grpc-js: logging, validation errors and status codes. */
  RpcRunner: Symbol("RpcRunner"),
} as const;
