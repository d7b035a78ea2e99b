import { createCriRuntime, RktletError } from "@rktlet/core";
import { createLogger } from "../logging";
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
    const backend = await createBackend(options, logger);
    const runtime = createCriRuntime(backend, { streamingBaseUrl: () => `http://${options.streamServerAddress}` });
    const server = new CriServer({ runtime, logger });
    await server.listen(options.listen);
    logger.info(
      { version: VERSION, backend: backend.name, listen: options.listen, streamServer: options.streamServerAddress },
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
    runtime.close();
    await backend.close();
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Expected refusals (bad setup) are one line; anything else keeps its stack for debugging.
    logger.fatal(err instanceof RktletError ? { kind: err.kind } : { err }, message);
    process.stderr.write(`rktlet: ${message}\n`);
    return 1;
  }
}
