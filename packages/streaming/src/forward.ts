import type { Logger, StreamRuntime } from "@rktlet/core";
import type { PortForwardSession, PortForwardStream } from "./session";

/**
 * Serves a port-forward session: each stream the client opens becomes a connection to that port inside
 * the pod; bytes flow both ways with half-closes passed on, and a refused connection is reported on the
 * stream's error channel in plain text, as Kubernetes clients expect.
 */
export function forwardPorts(session: PortForwardSession, podSandboxId: string, runtime: StreamRuntime, logger: Logger): void {
  const open = new Set<{ destroy(error?: Error): void }>();
  session.onStream((stream) => void forwardOne(stream, podSandboxId, runtime, logger, open));
  void session.closed.then(() => {
    for (const c of open) c.destroy();
  });
}

async function forwardOne(
  stream: PortForwardStream,
  podSandboxId: string,
  runtime: StreamRuntime,
  logger: Logger,
  open: Set<{ destroy(error?: Error): void }>,
): Promise<void> {
  let conn: Awaited<ReturnType<StreamRuntime["portForward"]>>;
  try {
    conn = await runtime.portForward(podSandboxId, stream.port);
  } catch (err) {
    logger.debug({ podSandboxId, port: stream.port, err: (err as Error).message }, "port-forward refused");
    stream.fail((err as Error).message);
    return;
  }
  open.add(conn);
  const finished = (s: NodeJS.EventEmitter) =>
    new Promise<void>((r) =>
      s
        .once("end", r)
        .once("close", r)
        .once("error", () => r()),
    );
  conn.on("error", () => {});
  stream.data.on("error", () => conn.destroy());
  stream.data.pipe(conn as NodeJS.WritableStream);
  (conn as NodeJS.ReadableStream).pipe(stream.data);
  await Promise.all([finished(conn), finished(stream.data)]);
  open.delete(conn);
  conn.destroy();
  stream.done();
}
