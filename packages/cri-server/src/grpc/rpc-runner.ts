import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status } from "@grpc/grpc-js";
import { ErrorKind } from "@rktlet/core";
import { inject, injectable } from "tsyringe";
import type { Logger } from "../logging";
import { TOKENS } from "../tokens";
import { toServiceError } from "./status";

/** Ids worth binding to a call's logger, taken from whatever the request carries. */
function idsOf(request: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (request && typeof request === "object") {
    for (const key of ["podSandboxId", "containerId"] as const) {
      const v = (request as Record<string, unknown>)[key];
      if (typeof v === "string" && v) out[key] = v.slice(0, 128);
    }
  }
  return out;
}

/** Errors a client caused are logged quietly; the rest are our problem and logged loudly. */
const CLIENT_KINDS = new Set<ErrorKind>([
  ErrorKind.InvalidArgument,
  ErrorKind.NotFound,
  ErrorKind.AlreadyExists,
  ErrorKind.FailedPrecondition,
]);

/**
 * Turns promise-returning handlers into grpc-js callbacks. Each call gets a child logger bound to the
 * RPC and the ids involved; every outcome is logged once with its duration and gRPC code.
 */
@injectable()
export class RpcRunner {
  private inFlight = 0;

  constructor(@inject(TOKENS.Logger) private readonly logger: Logger) {}

  unary<Req, Res>(rpc: string, handler: (request: Req, log: Logger) => Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const log = this.logger.child({ rpc, ...idsOf(call.request) });
      const started = process.hrtime.bigint();
      this.inFlight++;
      handler(call.request, log).then(
        (response) => {
          this.inFlight--;
          log.debug({ ms: msSince(started), code: "OK" }, "rpc done");
          callback(null, response);
        },
        (err: unknown) => {
          this.inFlight--;
          const e = toServiceError(err);
          this.logFailure(log, e, started, err);
          callback(e);
        },
      );
    };
  }

  /** A server-streaming handler; it writes to `call` and resolves when it has ended the stream. */
  stream<Req, Res>(rpc: string, handler: (call: ServerWritableStream<Req, Res>, log: Logger) => Promise<void>) {
    return (call: ServerWritableStream<Req, Res>): void => {
      const log = this.logger.child({ rpc, ...idsOf(call.request) });
      const started = process.hrtime.bigint();
      handler(call, log).then(
        () => log.debug({ ms: msSince(started), code: "OK" }, "rpc done"),
        (err: unknown) => {
          const e = toServiceError(err);
          this.logFailure(log, e, started, err);
          if (!call.cancelled) call.destroy(e);
        },
      );
    };
  }

  get pending(): number {
    return this.inFlight;
  }

  private logFailure(log: Logger, e: ReturnType<typeof toServiceError>, started: bigint, err: unknown): void {
    const fields = { ms: msSince(started), code: status[e.code], message: e.details };
    if (CLIENT_KINDS.has(e.kind)) log.info(fields, "rpc refused");
    else log.error({ ...fields, err }, "rpc failed");
  }
}

function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
