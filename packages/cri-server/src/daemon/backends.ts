import { ErrorKind, RktletError, type RuntimeBackend } from "@rktlet/core";
import type { Logger } from "../logging";
import type { DaemonOptions } from "./options";

/** Images the fake backend starts with, so a first try of `crictl run` needs no pull. */
const FAKE_PRELOADED = ["docker.io/library/busybox:latest", "registry.k8s.io/pause:3.10"];

interface TestkitModule {
  createFakeBackend(options: { images?: readonly string[] }): RuntimeBackend;
}

/**
 * Creates the backend the flags ask for. The fake backend lives in @rktlet/testkit, which itself
 * depends on this package, so it is loaded at run time rather than imported.
 */
export async function createBackend(options: DaemonOptions, logger: Logger): Promise<RuntimeBackend> {
  switch (options.backend) {
    case "fake": {
      const testkit = require("@rktlet/testkit") as Partial<TestkitModule>;
      if (typeof testkit.createFakeBackend !== "function") throw new Error("@rktlet/testkit does not provide createFakeBackend");
      logger.warn("using the in-memory fake backend: nothing runs, and nothing survives a restart");
      return testkit.createFakeBackend({ images: FAKE_PRELOADED });
    }
    case "rkt":
      throw new RktletError(
        ErrorKind.Unavailable,
        "the rkt backend is not part of this build yet; start with --backend fake to try rktlet",
      );
  }
}
