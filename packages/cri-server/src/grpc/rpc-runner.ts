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

export type RpcKind = "unary" | "stream";

/**
 * Told about every RPC the runner runs (metrics implement it): when it starts, and when it ends with its
 * gRPC code name ("OK", "NOT_FOUND", "CANCELLED" for a stream the client went away from…) and duration.
 * `method` is the full gRPC path, e.g. "/runtime.v1.RuntimeService/ListContainers".
 */
export interface RpcObserver {
  rpcStarted(method: string, kind: RpcKind): void;
  rpcFinished(method: string, kind: RpcKind, code: string, seconds: number): void;
}

/** The DI token of the optional RpcObserver; nothing registered means nothing observes. */
export const RPC_OBSERVER = Symbol("RpcObserver");

/** The full method path grpc-js routed the call by, or the short RPC name if the call does not say. */
function methodOf(call: { getPath?: () => string }, rpc: string): string {
  const path = typeof call.getPath === "function" ? call.getPath() : "";
  return path || rpc;
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
 * RPC and the ids involved; every outcome is logged once with its duration and gRPC code, and told to
 * the observer if there is one.
 */
@injectable()
export class RpcRunner {
  private inFlight = 0;

  constructor(
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(RPC_OBSERVER, { isOptional: true }) private readonly observer?: RpcObserver,
  ) {}

  unary<Req, Res>(rpc: string, handler: (request: Req, log: Logger) => Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const log = this.logger.child({ rpc, ...idsOf(call.request) });
      const method = methodOf(call, rpc);
      const started = process.hrtime.bigint();
      this.inFlight++;
      this.observe((o) => o.rpcStarted(method, "unary"));
      handler(call.request, log).then(
        (response) => {
          this.inFlight--;
          log.debug({ ms: msSince(started), code: "OK" }, "rpc done");
          this.finished(method, "unary", "OK", started);
          callback(null, response);
        },
        (err: unknown) => {
          this.inFlight--;
          const e = toServiceError(err);
          this.logFailure(log, e, started, err);
          this.finished(method, "unary", status[e.code], started);
          callback(e);
        },
      );
    };
  }

  /** A server-streaming handler; it writes to `call` and resolves when it has ended the stream. */
  stream<Req, Res>(rpc: string, handler: (call: ServerWritableStream<Req, Res>, log: Logger) => Promise<void>) {
    return (call: ServerWritableStream<Req, Res>): void => {
      const log = this.logger.child({ rpc, ...idsOf(call.request) });
      const method = methodOf(call, rpc);
      const started = process.hrtime.bigint();
      this.observe((o) => o.rpcStarted(method, "stream"));
      handler(call, log).then(
        () => {
          log.debug({ ms: msSince(started), code: "OK" }, "rpc done");
          // a stream the client went away from ends without error on our side; say so
          this.finished(method, "stream", call.cancelled ? "CANCELLED" : "OK", started);
        },
        (err: unknown) => {
          const e = toServiceError(err);
          this.logFailure(log, e, started, err);
          this.finished(method, "stream", status[e.code], started);
          // grpc-js sends the status of a stream when it ends; destroy() would end it without one, and the
          // client would wait forever. Its 'error' listener records the status and ends the stream.
          if (!call.cancelled && !call.writableEnded) call.emit("error", e);
        },
      );
    };
  }

  get pending(): number {
    return this.inFlight;
  }

  private finished(method: string, kind: RpcKind, code: string | undefined, started: bigint): void {
    const seconds = msSince(started) / 1000;
    this.observe((o) => o.rpcFinished(method, kind, code ?? "UNKNOWN", seconds));
  }

  /** An observer that throws must not take an RPC down with it. */
  private observe(tell: (observer: RpcObserver) => void): void {
    if (!this.observer) return;
    try {
      tell(this.observer);
    } catch (err) {
      this.logger.debug({ err }, "rpc observer failed");
    }
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
