import { readFileSync } from "node:fs";
import { createCriRuntime, ErrorKind, RktletError } from "@rktlet/core";
import { StreamingServer } from "@rktlet/streaming";
import { renderDefaultConfig } from "../config/file";
import { checkConfigFile, errnoText, HELP_HINT } from "../config/resolve";
import { runDoctor } from "../doctor";
import { createLogger } from "../logging";
import { DaemonMetrics } from "../metrics/daemon-metrics";
import { MetricsServer } from "../metrics/http-server";
import { CriServer } from "../server";
import { createBackend } from "./backends";
import { type Command, ConfigError, type DaemonOptions, HELP, parseCommandLine } from "./options";

const VERSION = (require("../../package.json") as { version: string }).version;

/** Start-up errors are read by people at a terminal and by systemd's journal: one line each. */
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, "; ").trim();

function refuse(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const hint = err instanceof ConfigError ? err.hint : HELP_HINT;
  process.stderr.write(`rktlet: ${oneLine(message)} (${hint})\n`);
}

/** Runs one command; for the daemon, until SIGTERM or SIGINT. Resolves with the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv, { env });
  } catch (err) {
    refuse(err);
    return 2;
  }
  switch (command.kind) {
    case "help":
      process.stdout.write(HELP);
      return 0;
    case "version":
      process.stdout.write(`rktlet ${VERSION}\n`);
      return 0;
    case "config-default":
      process.stdout.write(renderDefaultConfig());
      return 0;
    case "config-check":
      try {
        checkConfigFile(command.file);
      } catch (err) {
        refuse(err);
        return 1;
      }
      process.stdout.write(`${command.file}: OK\n`);
      return 0;
    case "doctor":
      return runDoctor(command.options, { write: (s) => process.stdout.write(s) });
    case "run":
      return runDaemon(command.options, command.configFile);
  }
}

/** "listen EADDRINUSE: address already in use 127.0.0.1:1" → what it means and what to change. */
function addressProblem(flag: string, address: string, err: Error): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "EADDRINUSE"
      ? "the address is in use; stop what listens there or choose another (port 0 picks a free one)"
      : code === "EACCES"
        ? "permission denied; ports below 1024 need root"
        : code === "EADDRNOTAVAIL"
          ? "no interface of this host has that address"
          : errnoText(err);
  return new RktletError(ErrorKind.FailedPrecondition, `${flag} ${address}: ${why}`);
}

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new RktletError(ErrorKind.FailedPrecondition, `${flag} ${path}: cannot read: ${errnoText(err as Error)}`);
  }
}

async function runDaemon(options: DaemonOptions, configFile: string | undefined): Promise<number> {
  const logger = createLogger(options.logLevel);
  try {
    // read before anything starts, so that a bad path leaves nothing behind
    const tls = options.streamTlsCert
      ? { cert: readPem("--stream-tls-cert", options.streamTlsCert), key: readPem("--stream-tls-key", options.streamTlsKey) }
      : undefined;
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
      ...(tls ? { tls } : {}),
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
    await server.listen(options.listen).catch((err: Error) => {
      if (err instanceof RktletError) throw err;
      throw new RktletError(
        ErrorKind.FailedPrecondition,
        `--listen ${options.listen}: ${err.message.replace(/^[A-Z]+: /, "")}; choose another --listen path`,
      );
    });
    try {
      await streams.start();
    } catch (err) {
      await server.shutdown(0);
      throw addressProblem("--stream-server-address", options.streamServerAddress, err as Error);
    }
    try {
      await metricsServer?.start();
    } catch (err) {
      await server.shutdown(0);
      await streams.close();
      throw addressProblem("--metrics-address", options.metricsAddress, err as Error);
    }
    logger.info(
      {
        version: VERSION,
        backend: backend.name,
        listen: options.listen,
        config: configFile ?? "none",
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
    process.stderr.write(`rktlet: ${oneLine(message)}\n`);
    return 1;
  }
}
