import type { Logger, StreamRuntime } from "@rktlet/core";
import type { PortForwardSession, PortForwardStream } from "./session";

/**
 * Serves a port-forward session: each stream the client opens becomes a connection to that port inside
 * the pod; bytes flow both ways with half-closes passed on, and a refused connection is reported on the
 * stream's error channel in plain text, as Kubernetes clients expect.
 */
export function forwardPorts(session: PortForwardSession, podSandboxId: string, runtime: StreamRuntime, logger: Logger): void {
  const open = new Set<{ destroy(error?: Error): void }>();
  const state = { closed: false };
  session.onStream((stream) => void forwardOne(stream, podSandboxId, runtime, logger, open, state));
  void session.closed.then(() => {
    state.closed = true;
    for (const c of open) c.destroy();
  });
}

async function forwardOne(
  stream: PortForwardStream,
  podSandboxId: string,
  runtime: StreamRuntime,
  logger: Logger,
  open: Set<{ destroy(error?: Error): void }>,
  session: { readonly closed: boolean },
): Promise<void> {
  let conn: Awaited<ReturnType<StreamRuntime["portForward"]>>;
  try {
    conn = await runtime.portForward(podSandboxId, stream.port);
  } catch (err) {
    logger.debug({ podSandboxId, port: stream.port, err: (err as Error).message }, "port-forward refused");
    stream.fail((err as Error).message);
    return;
  }
  // the session ended while the connection was being made: nobody will read it
  if (session.closed) {
    conn.destroy();
    return;
  }
  open.add(conn);
  conn.on("error", () => {});
  stream.data.on("error", () => conn.destroy());
  stream.data.pipe(conn as NodeJS.WritableStream);
  (conn as NodeJS.ReadableStream).pipe(stream.data);
  // The forward is over when the pod side is done (or the client reset the stream). Clients wait for the
  // pair to end before they close their local connection, so end it then, once the last bytes are handed
  // over, without waiting for the client's own half-close.
  await Promise.race([ended(conn), closed(stream.data)]);
  await flushed(stream.data);
  open.delete(conn);
  conn.destroy();
  stream.done();
}

const ended = (s: NodeJS.EventEmitter) =>
  new Promise<void>((r) =>
    s
      .once("end", r)
      .once("close", r)
      .once("error", () => r()),
  );
const closed = (s: NodeJS.EventEmitter) => new Promise<void>((r) => s.once("close", r));
/** Resolves when everything written to `w` has been handed to the transport (or it is gone). */
const flushed = (w: NodeJS.WritableStream & { writableFinished?: boolean; destroyed?: boolean }) =>
  w.writableFinished || w.destroyed
    ? Promise.resolve()
    : new Promise<void>((r) =>
        w
          .once("finish", r)
          .once("close", r)
          .once("error", () => r()),
      );
