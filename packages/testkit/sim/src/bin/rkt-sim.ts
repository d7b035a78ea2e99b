#!/usr/bin/env node
/** rkt-sim: a stand-in for the rkt 1.30.0 CLI, for tests that cannot install rkt. */
import { runCli } from "../cli/main";

runCli(process.argv.slice(2), process.env, process.cwd()).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`rkt-sim: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(254);
  },
);
