#!/usr/bin/env node
import "reflect-metadata";
import { main } from "../daemon/main";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`rktlet: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
