import { join } from "node:path";
import type { Clock, Logger, UnitManager } from "@rktlet/core";
import type { RktRunner } from "./cli/runner";
import type { RktConfig } from "./config";
import type { LogPump } from "./logs/log-pump";
import type { RktSnapshot } from "./snapshot";
import type { ContainerRecords } from "./state/records";

/** What the rkt adapters share: one runner, one snapshot, one record store, one log pump. */
export interface RktContext {
  readonly config: RktConfig;
  readonly runner: RktRunner;
  readonly snapshot: RktSnapshot;
  readonly records: ContainerRecords;
  readonly logs: LogPump;
  readonly units: UnitManager;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Pod units RunPodSandbox is starting right now (their pods may not exist yet). */
  readonly startingUnits: Set<string>;
}

/** rktlet's own directories under --state-dir. */
export const paths = (stateDir: string) => ({
  uuidDir: join(stateDir, "pods"),
  uuidFile: (unitName: string) => join(stateDir, "pods", `${unitName}.uuid`),
  rawLogRoot: join(stateDir, "logs", "raw"),
  rawLogDir: (unitName: string) => join(stateDir, "logs", "raw", unitName),
  logProgress: join(stateDir, "logs", "progress"),
  records: join(stateDir, "containers"),
  auth: join(stateDir, "auth"),
});
