import { readFileSync } from "node:fs";
import { createCriRuntime, RktletError } from "@rktlet/core";
import { StreamingServer } from "@rktlet/streaming";
import { createLogger } from "../logging";
import { DaemonMetrics } from "../metrics/daemon-metrics";
import { MetricsServer } from "../metrics/http-server";
import { CriServer } from "../server";
import { createBackend } from "./backends";
import { HELP, parseCommandLine } from "./options";

const VERSION = (require("../../package.json") as { version: string }).version;

/** Runs the daemon until SIGTERM or SIGINT. Resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(argv);
  } catch (err) {
    process.stderr.write(`rktlet: ${(err as Error).message} (see rktlet --help)\n`);
    return 2;
  }
  if (command.kind === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  if (command.kind === "version") {
    process.stdout.write(`rktlet ${VERSION}\n`);
    return 0;
  }
  const options = command.options;
  const logger = createLogger(options.logLevel);
  try {
    // made before the backend, so that the rkt commands of its start-up checks are counted too
    let runtimeRef: ReturnType<typeof createCriRuntime> | undefined;
    const metrics = options.metricsAddress
      ? new DaemonMetrics({ runtime: () => runtimeRef, logger, version: VERSION, backend: options.backend })
      : undefined;
    const backend = await createBackend(options, logger, metrics ? { onRktCommand: (c) => metrics.rktCommand(c) } : {});
    let streams: StreamingServer | undefined;
    const runtime = createCriRuntime(backend, { streamingBaseUrl: () => streams?.url ?? `http://${options.streamServerAddress}` });
    streams = new StreamingServer({
      address: options.streamServerAddress,
      ...(options.streamTlsCert ? { tls: { cert: readFileSync(options.streamTlsCert), key: readFileSync(options.streamTlsKey) } } : {}),
      timeouts: { idleMs: options.streamIdleTimeoutSeconds * 1000 },
      redeem: (token) => runtime.streaming.take(token),
      runtime: backend.streams,
      logger: logger.child({ component: "streaming" }),
    });
    runtimeRef = runtime;
    let metricsServer: MetricsServer | undefined;
    if (metrics) {
      metricsServer = new MetricsServer({
        address: options.metricsAddress,
        render: () => metrics.render(),
        logger: logger.child({ component: "metrics" }),
      });
    }
    const server = new CriServer({ runtime, logger, ...(metrics ? { rpcObserver: metrics } : {}) });
    // the socket first: its checks (a live daemon, a path that is not a socket) say the most
    await server.listen(options.listen);
    try {
      await streams.start();
    } catch (err) {
      await server.shutdown(0);
      throw new Error(`--stream-server-address ${options.streamServerAddress}: ${(err as Error).message}`);
    }
    try {
      await metricsServer?.start();
    } catch (err) {
      await server.shutdown(0);
      await streams.close();
      throw new Error(`--metrics-address ${options.metricsAddress}: ${(err as Error).message}`);
    }
    logger.info(
      {
        version: VERSION,
        backend: backend.name,
        listen: options.listen,
        streamServer: streams.url,
        ...(metricsServer ? { metrics: metricsServer.url } : {}),
      },
      "rktlet started",
    );
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    logger.info({ signal }, "shutting down; pods keep running");
    // A second signal while draining means "now".
    const force = () => process.exit(1);
    process.once("SIGTERM", force);
    process.once("SIGINT", force);
    await server.shutdown(options.shutdownGraceSeconds * 1000);
    await Promise.all([streams.close(), metricsServer?.close()]);
    runtime.close();
    await backend.close();
    await backend.units.close?.();
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Expected refusals (bad setup) are one line; anything else keeps its stack for debugging.
    logger.fatal(err instanceof RktletError ? { kind: err.kind } : { err }, message);
    process.stderr.write(`rktlet: ${message}\n`);
    return 1;
  }
}
