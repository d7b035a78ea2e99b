import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { createRktBackend, type RktCommandObserver } from "@rktlet/adapters-rkt";
import { DbusUnitManager, SystemdUnitManager, systemdBooted } from "@rktlet/adapters-systemd";
import { type Logger as CoreLogger, ErrorKind, RktletError, type RuntimeBackend, type UnitManager } from "@rktlet/core";
import { settingNames } from "../config/settings";
import type { Logger } from "../logging";
import type { DaemonOptions } from "./options";

/** Images the fake backend starts with, so a first try of `crictl run` needs no pull. */
const FAKE_PRELOADED = ["docker.io/library/busybox:latest", "registry.k8s.io/pause:3.10"];

interface TestkitModule {
  createFakeBackend(options: { images?: readonly string[] }): RuntimeBackend;
}

/** Picks what runs each pod's `rkt app sandbox`, and says why. */
export function createUnitManager(options: DaemonOptions, logger: CoreLogger): { units: UnitManager; reason: string } {
  const booted = systemdBooted();
  const kind = options.unitManager === "auto" ? (booted ? "systemd" : "process") : options.unitManager;
  const reason =
    options.unitManager === "auto"
      ? `auto: /run/systemd/system ${booted ? "exists (systemd runs this host)" : "does not exist (no systemd)"}`
      : `--unit-manager ${options.unitManager}`;
  const child = logger.child({ component: "units" });
  const units =
    kind === "process"
      ? new ProcessUnitManager({ stateDir: join(options.stateDir, "units"), logger: child })
      : options.systemdTransport === "dbus"
        ? new DbusUnitManager({ logger: child })
        : new SystemdUnitManager({ logger: child });
  logger.info({ unitManager: units.kind, reason }, "unit manager chosen");
  return { units, reason };
}

/**
 * Refuses to start without a runnable rkt: otherwise the daemon would come up and only log retries of `rkt list`.
 * A bare name is looked up in PATH, as the rkt runner would.
 */
export function checkRktBinary(rktPath: string, path = process.env.PATH ?? ""): void {
  const candidates = rktPath.includes("/")
    ? [rktPath]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, rktPath));
  const found = candidates.find((c) => statSync(c, { throwIfNoEntry: false }) !== undefined);
  const setIt = `set ${settingNames("rktPath")} to the rkt binary`;
  const fix = `install rkt ${rktPath.includes("/") ? "there" : "in PATH"} or ${setIt}`;
  if (found === undefined) {
    const where = rktPath.includes("/") ? "no such file" : "not found in PATH";
    throw new RktletError(ErrorKind.FailedPrecondition, `--rkt-path ${rktPath}: ${where}; ${fix}`);
  }
  if (statSync(found).isDirectory()) throw new RktletError(ErrorKind.FailedPrecondition, `--rkt-path ${found}: is a directory; ${fix}`);
  try {
    accessSync(found, constants.X_OK);
  } catch {
    throw new RktletError(ErrorKind.FailedPrecondition, `--rkt-path ${found}: not executable; chmod +x it, or ${setIt}`);
  }
}

/**
 * Creates the backend the flags ask for. The fake backend lives in @rktlet/testkit, which itself
 * depends on this package, so it is loaded at run time rather than imported.
 */
export interface BackendHooks {
  /** Sees every rkt command, from the start-up checks on (the metrics). */
  readonly onRktCommand?: RktCommandObserver;
}

export async function createBackend(options: DaemonOptions, logger: Logger, hooks: BackendHooks = {}): Promise<RuntimeBackend> {
  switch (options.backend) {
    case "fake": {
      const testkit = require("@rktlet/testkit") as Partial<TestkitModule>;
      if (typeof testkit.createFakeBackend !== "function") throw new Error("@rktlet/testkit does not provide createFakeBackend");
      logger.warn("using the in-memory fake backend: nothing runs, and nothing survives a restart");
      return testkit.createFakeBackend({ images: FAKE_PRELOADED });
    }
    case "rkt": {
      checkRktBinary(options.rktPath);
      const chosen = createUnitManager(options, logger);
      logger.info(
        { rktPath: options.rktPath, dataDir: options.rktDataDir, insecureOptions: options.rktInsecureOptions.join(",") },
        "rkt backend",
      );
      const backend = createRktBackend({
        config: {
          rktPath: options.rktPath,
          dataDir: options.rktDataDir,
          stateDir: options.stateDir,
          insecureOptions: options.rktInsecureOptions,
          stage1Name: options.rktStage1Name,
          net: options.net === "default" ? "" : options.net,
          sharedMount: options.rktSharedMount,
          podLogRoot: options.podLogRoot,
          stage1Allowed: options.rktStage1Allowed,
        },
        units: chosen.units,
        unitManagerReason: chosen.reason,
        logger: logger.child({ backend: "rkt" }),
      });
      if (hooks.onRktCommand) backend.runner.onCommand = hooks.onRktCommand;
      await backend.start();
      return backend;
    }
  }
}
